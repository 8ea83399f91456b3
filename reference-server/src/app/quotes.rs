//! Quote posts, as Mastodon 4.5 has them (FEP-044f).
//!
//! - A status may quote one other post ([`Quote`] on the status record: the quoted post's IRI,
//!   its status here once known, and the quote's [`QuoteState`]).
//! - Incoming ([`App::incoming_quote`]): the quoted IRI is read from `quote` (FEP-044f, an IRI
//!   or an embedded object), `quoteUri` (Fedibird), `quoteUrl` (Misskey, Akkoma), `quoteURL`
//!   or `_misskey_quote`; the quoted post is looked up, else fetched (signed, within the
//!   fetch budget; its own quote is not followed further). Its state follows Mastodon's
//!   `VerifyQuoteService`: accepted when the author quotes itself or a post that mentions it
//!   (FEP-044f's fast track), when the quoted post is a public or unlisted post of this
//!   instance (what this instance answers to a `QuoteRequest` for it), or when the
//!   `quoteAuthorization` it carries checks out (a `QuoteAuthorization` by the quoted
//!   post's author, on its server, naming both posts); otherwise pending, as Mastodon shows
//!   a quote nobody approved (a legacy Misskey or Fedibird quote, too).
//! - Local ([`App::local_quote`]): `quoted_status_id` on a new status quotes a post the author
//!   can see that is public or unlisted (or the author's own, not direct); the content gets
//!   Mastodon's inline fallback (`<p class="quote-inline">RE: <a …>url</a></p>`), and the
//!   outgoing `Note` carries `quote`, `quoteUri` and `_misskey_quote` (see
//!   [`App::note_document`]). A quote of a post of this instance is accepted at once; of a
//!   remote one, it is pending until the quoted post's server answers the `QuoteRequest`
//!   sent to it ([`App::send_quote_request`]); an `Accept` whose `QuoteAuthorization` checks
//!   out accepts it and sends the note's `Update`.
//! - Answering: a `QuoteRequest` for a post of this instance is approved when the policy
//!   above allows the requester, with a `QuoteAuthorization` served at
//!   `{post IRI}/quote_authorizations/{id}` ([`App::quote_authorization_document`]).

use activitypub_core::engine::{InboxActivity, Recipients};
use activitypub_core::{AnyObject, Object};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::model::{ns, Account, Status, StatusVisibility};
use super::{host_of, App};
use crate::error::Error;

/// What the id of a `QuoteRequest` this instance sends ends with (after the quoting post's
/// IRI), so that its `Accept` or `Reject` is told from a follow's.
pub const QUOTE_REQUEST_SUFFIX: &str = "#quote_request";

/// The JSON-LD terms of the quote activities and objects (FEP-044f).
fn quote_context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        {
            "QuoteRequest": "https://w3id.org/fep/044f#QuoteRequest",
            "QuoteAuthorization": "https://w3id.org/fep/044f#QuoteAuthorization",
            "gts": "https://gotosocial.org/ns#",
            "interactingObject": {"@id": "gts:interactingObject", "@type": "@id"},
            "interactionTarget": {"@id": "gts:interactionTarget", "@type": "@id"}
        }
    ])
}

/// A quote of a local post this instance approved (what its `QuoteAuthorization` says).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteAuthorizationRecord {
    /// The quoting post's IRI.
    pub interacting_object: String,
    /// Who quotes.
    pub quoter: String,
    /// When (ms).
    pub created_at: u64,
}

/// Where a quote stands (Mastodon's `Quote#state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteState {
    /// Not approved (yet).
    Pending,
    /// Approved: the quoted post is shown.
    Accepted,
    /// Refused by the quoted post's author.
    Rejected,
    /// Approved, then withdrawn.
    Revoked,
    /// The quoted post is gone.
    Deleted,
    /// The viewer may not see the quoted post.
    Unauthorized,
}

impl QuoteState {
    /// Mastodon's name.
    pub fn as_str(self) -> &'static str {
        match self {
            QuoteState::Pending => "pending",
            QuoteState::Accepted => "accepted",
            QuoteState::Rejected => "rejected",
            QuoteState::Revoked => "revoked",
            QuoteState::Deleted => "deleted",
            QuoteState::Unauthorized => "unauthorized",
        }
    }
}

/// The post a status quotes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// The quoted post's IRI.
    pub uri: String,
    /// The quoted status here, once known.
    #[serde(default)]
    pub status_id: Option<u64>,
    /// Its state.
    pub state: QuoteState,
    /// The `QuoteAuthorization` that approved it, if any.
    #[serde(default)]
    pub authorization: Option<String>,
}

/// The IRI a post quotes, whichever property carries it.
pub fn quoted_iri(o: &Object) -> Option<String> {
    if let Some(q) = o.quoted() {
        return Some(q.to_owned());
    }
    // `quote` embedded (FEP-044f allows an inlined object) lands in `extra`.
    o.extra
        .get("quote")
        .and_then(|v| match v {
            Value::Object(m) => m.get("id").and_then(Value::as_str),
            Value::Array(a) => a
                .first()
                .and_then(|f| f.as_str().or_else(|| f.get("id").and_then(Value::as_str))),
            _ => None,
        })
        .map(str::to_owned)
}

/// Whether `status` may be quoted by `account` (Mastodon's default policy: public and
/// unlisted posts by anyone; the author's own posts unless direct).
pub fn quotable_by(status: &Status, account: u64) -> bool {
    if status.reblog_of_id.is_some() {
        return false;
    }
    match status.visibility {
        StatusVisibility::Public | StatusVisibility::Unlisted => true,
        StatusVisibility::Private => status.account_id == account,
        StatusVisibility::Direct => false,
    }
}

impl App {
    /// The quote of a remote post `o` by `author` (see the module documentation); `None` when
    /// it quotes nothing. `fetch` says whether a quoted post not known here may be fetched.
    pub(crate) async fn incoming_quote(
        &self,
        o: &Object,
        author: &Account,
        fetch: bool,
    ) -> Result<Option<Quote>, Error> {
        let Some(uri) = quoted_iri(o) else {
            return Ok(None);
        };
        let post_uri =
            o.id.as_ref()
                .map(|i| i.as_str().to_owned())
                .unwrap_or_default();
        let mut quoted = self.status_by_uri(&uri).await?;
        if quoted.is_none() && fetch && !self.config().is_local_iri(&uri) {
            let mut budget = self.budget();
            match self.engine().fetch(&uri, &mut budget).await {
                Ok(f) => {
                    if let AnyObject::Object(q) = f.document {
                        quoted = Box::pin(self.ingest_quoted(&q)).await?;
                    }
                }
                Err(e) => tracing::info!(%uri, error = %e, "quoted post not fetched"),
            }
        }
        let authorization = o.get_json("quoteAuthorization").and_then(|v| match v {
            Value::String(s) => Some(s),
            Value::Object(m) => m.get("id").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        });
        let Some(q) = quoted else {
            return Ok(Some(Quote {
                uri,
                status_id: None,
                state: QuoteState::Pending,
                authorization: None,
            }));
        };
        let state = if q.account_id == author.id || q.mentions.contains(&author.id) {
            QuoteState::Accepted
        } else if q.local {
            if quotable_by(&q, author.id) {
                QuoteState::Accepted
            } else {
                QuoteState::Rejected
            }
        } else if let Some(auth) = &authorization {
            self.verify_authorization(auth, &post_uri, &q).await
        } else {
            QuoteState::Pending
        };
        Ok(Some(Quote {
            uri,
            status_id: Some(q.id),
            state,
            authorization: authorization.filter(|_| state == QuoteState::Accepted),
        }))
    }

    /// Stores a fetched quoted post without following its own quote further.
    async fn ingest_quoted(&self, q: &Object) -> Result<Option<Status>, Error> {
        self.ingest_remote_status_at(q, None, 1).await
    }

    /// Checks a `quoteAuthorization` of `post_uri` quoting `quoted`: accepted when it is a
    /// `QuoteAuthorization` on the server of, and attributed to, the quoted post's author,
    /// naming both posts; rejected when it cannot be read (as Mastodon); pending otherwise.
    pub(crate) async fn verify_authorization(
        &self,
        iri: &str,
        post_uri: &str,
        quoted: &Status,
    ) -> QuoteState {
        self.try_verify_authorization(iri, post_uri, quoted)
            .await
            .unwrap_or(QuoteState::Pending)
    }

    /// [`App::verify_authorization`], with a failure that may pass on a later try (a timeout,
    /// a refused connection, a 5xx or 429 answer) returned as the error, so that an inbox job
    /// is retried rather than leaving the quote pending for good.
    pub(crate) async fn try_verify_authorization(
        &self,
        iri: &str,
        post_uri: &str,
        quoted: &Status,
    ) -> Result<QuoteState, Error> {
        let Ok(author) = self.account(quoted.account_id).await else {
            return Ok(QuoteState::Pending);
        };
        let mut budget = self.budget();
        let f = match self.engine().fetch(iri, &mut budget).await {
            Ok(f) => f,
            Err(e) if e.is_retryable() => return Err(e.into()),
            Err(_) => return Ok(QuoteState::Rejected),
        };
        let Ok(doc) = serde_json::from_slice::<Value>(&f.bytes) else {
            return Ok(QuoteState::Rejected);
        };
        let id_of = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Object(m) => m.get("id").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        };
        let ok = doc["type"] == "QuoteAuthorization"
            && id_of(&doc["attributedTo"]).as_deref() == Some(author.actor.as_str())
            && host_of(iri) == host_of(&author.actor)
            && id_of(&doc["interactingObject"]).as_deref() == Some(post_uri)
            && id_of(&doc["interactionTarget"]).as_deref() == Some(quoted.uri.as_str());
        Ok(if ok {
            QuoteState::Accepted
        } else {
            QuoteState::Pending
        })
    }

    /// The quote of a new local status by `account` of status `quoted_id`: 404 when it is
    /// unknown or not visible to the account, 403 when it may not be quoted.
    pub(crate) async fn local_quote(
        &self,
        account: u64,
        quoted_id: u64,
    ) -> Result<(Quote, Status), Error> {
        let q = self.status(quoted_id).await?;
        if !self.can_view(&q, Some(account)).await? {
            return Err(Error::NotFound(format!("status {quoted_id}")));
        }
        if !quotable_by(&q, account) {
            return Err(Error::Forbidden("This post cannot be quoted".into()));
        }
        // A post of this instance (its policy is ours) or one's own: approved at once.
        let state = if q.local || q.account_id == account {
            QuoteState::Accepted
        } else {
            QuoteState::Pending
        };
        Ok((
            Quote {
                uri: q.uri.clone(),
                status_id: Some(q.id),
                state,
                authorization: None,
            },
            q,
        ))
    }
}

impl App {
    /// Asks the author of the remote post `quoted` to approve `status`'s quote of it.
    pub(crate) async fn send_quote_request(
        &self,
        author: &Account,
        status: &Status,
        quoted: &Status,
    ) -> Result<(), Error> {
        let quoted_author = self.account(quoted.account_id).await?;
        let request = json!({
            "@context": quote_context(),
            "id": format!("{}{QUOTE_REQUEST_SUFFIX}", status.uri),
            "type": "QuoteRequest",
            "actor": author.actor,
            "object": quoted.uri,
            "instrument": status.uri,
        });
        self.federate(
            author,
            &serde_json::to_vec(&request)?,
            Recipients::new().actor(quoted_author.actor),
        )
        .await
    }

    /// A `QuoteRequest` for a post of this instance: approved (an `Accept` whose `result` is a
    /// `QuoteAuthorization` served here) when the post may be quoted by the requester, else
    /// `Reject`ed. Requests for other servers' posts are ignored.
    pub(super) async fn on_quote_request(
        &self,
        a: &InboxActivity,
        actor: &Account,
        object_id: Option<String>,
    ) -> Result<(), Error> {
        let Some(quoted) = object_id else {
            return Ok(());
        };
        let Some(q) = self.status_by_uri(&quoted).await? else {
            return Ok(());
        };
        if !q.local {
            return Ok(());
        }
        let activity = serde_json::to_value(&a.activity)?;
        let request_id = activity["id"].as_str().unwrap_or_default().to_owned();
        let instrument = match &activity["instrument"] {
            Value::String(s) => s.clone(),
            Value::Object(m) => m
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            _ => String::new(),
        };
        let author = self.account(q.account_id).await?;
        let approve = !instrument.is_empty()
            && host_of(&instrument) == host_of(&actor.actor)
            && quotable_by(&q, actor.id)
            && !self.blocks(q.account_id, actor.id).await?;
        let answer = if approve {
            let qid = self.inner.ids.next(self.now_ms());
            let record = QuoteAuthorizationRecord {
                interacting_object: instrument,
                quoter: actor.actor.clone(),
                created_at: self.now_ms(),
            };
            self.put(
                ns::QUOTE_AUTHORIZATIONS,
                &format!("{}:{qid}", q.id),
                &record,
            )
            .await?;
            let iri = format!("{}/quote_authorizations/{qid}", q.uri);
            json!({
                "@context": quote_context(),
                "id": format!("{iri}#accept"),
                "type": "Accept",
                "actor": author.actor,
                "object": request_id,
                "result": iri,
            })
        } else {
            json!({
                "@context": quote_context(),
                "id": format!("{}#reject/{}", q.uri, self.inner.ids.next(self.now_ms())),
                "type": "Reject",
                "actor": author.actor,
                "object": request_id,
            })
        };
        self.federate(
            &author,
            &serde_json::to_vec(&answer)?,
            Recipients::new().actor(actor.actor.clone()),
        )
        .await
    }

    /// The `Accept` or `Reject` of a `QuoteRequest` a local post sent: an approval is checked
    /// (the `QuoteAuthorization` in `result` is fetched and must name both posts) and kept,
    /// and the post's `Update` carries it; a refusal marks the quote rejected.
    pub(super) async fn on_quote_answer(
        &self,
        a: &InboxActivity,
        actor: &Account,
        request: &str,
        accepted: bool,
    ) -> Result<(), Error> {
        let uri = request.trim_end_matches(QUOTE_REQUEST_SUFFIX);
        let Some(mut s) = self.status_by_uri(uri).await? else {
            return Ok(());
        };
        let Some(mut q) = s.quote.clone().filter(|_| s.local) else {
            return Ok(());
        };
        let Some(quoted) = q.status_id else {
            return Ok(());
        };
        let quoted = self.status(quoted).await?;
        if quoted.account_id != actor.id || q.state != QuoteState::Pending {
            return Ok(());
        }
        if accepted {
            let activity = serde_json::to_value(&a.activity)?;
            let Some(result) = (match &activity["result"] {
                Value::String(r) => Some(r.clone()),
                Value::Object(m) => m.get("id").and_then(Value::as_str).map(str::to_owned),
                _ => None,
            }) else {
                return Ok(());
            };
            // A failure that may pass later is this job's error: the inbox retries it.
            if self
                .try_verify_authorization(&result, &s.uri, &quoted)
                .await?
                != QuoteState::Accepted
            {
                return Ok(());
            }
            q.state = QuoteState::Accepted;
            q.authorization = Some(result);
        } else {
            q.state = QuoteState::Rejected;
        }
        s.quote = Some(q);
        self.save_status(&s).await?;
        self.announce_edit(&s).await?;
        if s.quote
            .as_ref()
            .is_some_and(|q| q.state == QuoteState::Accepted)
        {
            let author = self.account(s.account_id).await?;
            let audience = self.audience_of(&s).await?;
            self.federate_note_update(&author, &s, "quote", audience)
                .await?;
        }
        Ok(())
    }

    /// The `QuoteAuthorization` `qid` given for a quote of local status `id` of `account`.
    pub async fn quote_authorization_document(
        &self,
        account: &Account,
        id: u64,
        qid: u64,
    ) -> Result<Option<Value>, Error> {
        let Some(r) = self
            .get::<QuoteAuthorizationRecord>(ns::QUOTE_AUTHORIZATIONS, &format!("{id}:{qid}"))
            .await?
        else {
            return Ok(None);
        };
        let s = match self.status(id).await {
            Ok(s) if s.local && s.account_id == account.id => s,
            Ok(_) => return Ok(None),
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(json!({
            "@context": quote_context(),
            "id": format!("{}/quote_authorizations/{qid}", s.uri),
            "type": "QuoteAuthorization",
            "attributedTo": account.actor,
            "interactingObject": r.interacting_object,
            "interactionTarget": s.uri,
        })))
    }
}

/// Mastodon's inline fallback of a quote, appended to the quoting post's HTML.
pub fn inline_fallback(url: &str) -> String {
    let shown = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url);
    maud::html! {
        p class="quote-inline" {
            "RE: "
            a href=(url) target="_blank" rel="nofollow noopener noreferrer" { (shown) }
        }
    }
    .into_string()
}
