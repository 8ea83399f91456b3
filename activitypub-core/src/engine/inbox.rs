//! The inbox pipeline: an `http::Request<Bytes>` in, an `http::Response<Bytes>` out.

use bytes::Bytes;

use fedi_storage::{DocumentStoreExt, NewJob, WriteBatch};
use http::{header, Method, StatusCode};
use http_sig::{CryptoProvider, Scheme};
use serde::{Deserialize, Serialize};

use super::fetch::{host_of, parse_fetch_url};
use super::verify::Checked;
use super::{Engine, FetchBudget, InboxTarget, Rejection, INBOX_QUEUE};
use crate::{Actor, AnyObject, Error, ObjectId};

/// What the inbox did with an accepted request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Accepted {
    /// The activity's id; for an activity without one (Mastodon's `Add` / `Remove` of a
    /// pinned post), `urn:woolly:activity-sha256:` and the base64 SHA-256 of its bytes.
    pub activity_id: String,
    /// The authenticated actor.
    pub actor: String,
    /// The activity had been received before: nothing was stored this time.
    pub duplicate: bool,
    /// A `Delete` of an actor whose key is gone (its server answers `410`): accepted without
    /// a verified signature, and only [`ActivityHandler::actor_gone`](super::ActivityHandler)
    /// is told.
    pub actor_gone: bool,
    /// The signature scheme that verified (`cavage` or `rfc9421`), if one did.
    pub scheme: Option<String>,
}

/// A job in the durable inbox queue.
///
/// Stored as [`InboxJob::encode`]: a version byte, the length of a small JSON header (every
/// field but the body), the header, then the activity's bytes exactly as received — so the
/// body is neither re-escaped nor copied through a JSON string on the request path. Jobs
/// written by earlier versions (one JSON object, body as a string) are still read.
#[derive(Debug)]
pub(crate) struct InboxJob {
    pub(crate) target: InboxTarget,
    /// The authenticated actor (or, for `actor_gone`, the gone actor).
    pub(crate) signer: String,
    pub(crate) key_id: String,
    pub(crate) scheme: String,
    pub(crate) received_at: u64,
    pub(crate) actor_gone: bool,
    /// The dedupe key, when the request path did not record it (a journaled inbox queue):
    /// the runner checks and records it before the handler runs.
    pub(crate) dedupe: Option<String>,
    /// The activity as received.
    pub(crate) body: Bytes,
}

/// Every field of an [`InboxJob`] but the body (and, in the legacy format, the body too).
#[derive(Serialize, Deserialize)]
struct JobHeader<'a> {
    target: InboxTarget,
    #[serde(borrow)]
    signer: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    key_id: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    scheme: std::borrow::Cow<'a, str>,
    received_at: u64,
    #[serde(default)]
    actor_gone: bool,
    /// See [`InboxJob::dedupe`].
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    dedupe: Option<std::borrow::Cow<'a, str>>,
    /// Only in jobs written before the binary framing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<String>,
}

/// The dedupe key of an activity that has no `id`: `urn:woolly:activity-sha256:` and the
/// base64 SHA-256 of its bytes (a replay of the same bytes is a duplicate).
fn anonymous_activity_key(body: &[u8]) -> String {
    format!("urn:woolly:activity-sha256:{}", sha256_base64(body))
}

/// The base64 (standard alphabet, padded) SHA-256 of `bytes`.
pub(crate) fn sha256_base64(bytes: &[u8]) -> String {
    let digest = http_sig::digest::digest_value(
        CryptoProvider::get_default(),
        http_sig::DigestAlgorithm::Sha256,
        bytes,
    );
    match digest.strip_prefix("SHA-256=") {
        Some(hash) => hash.to_owned(),
        None => digest,
    }
}

/// The first byte of a framed job (a legacy job starts with `{`).
const JOB_FRAME_V1: u8 = 1;

impl InboxJob {
    /// The stored form (see the type's docs).
    pub(crate) fn encode(&self) -> Result<Vec<u8>, Error> {
        let header = serde_json::to_vec(&JobHeader {
            target: self.target.clone(),
            signer: self.signer.as_str().into(),
            key_id: self.key_id.as_str().into(),
            scheme: self.scheme.as_str().into(),
            received_at: self.received_at,
            actor_gone: self.actor_gone,
            dedupe: self.dedupe.as_deref().map(Into::into),
            body: None,
        })?;
        let len = u32::try_from(header.len())
            .map_err(|_| Error::handler_permanent("inbox job header too large"))?;
        let mut out = Vec::with_capacity(5 + header.len() + self.body.len());
        out.push(JOB_FRAME_V1);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&self.body);
        Ok(out)
    }

    /// Reads a stored job, framed or legacy JSON.
    pub(crate) fn decode(payload: &[u8]) -> Result<InboxJob, Error> {
        let bad = |why: &str| Error::handler_permanent(format!("bad inbox job: {why}"));
        let (header, body): (JobHeader<'_>, Option<Bytes>) = match payload.first() {
            Some(&JOB_FRAME_V1) => {
                let len: [u8; 4] = payload
                    .get(1..5)
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| bad("truncated"))?;
                let end = 5usize.saturating_add(u32::from_be_bytes(len) as usize);
                let header = payload.get(5..end).ok_or_else(|| bad("truncated header"))?;
                let header = serde_json::from_slice(header).map_err(|e| bad(&e.to_string()))?;
                let body = payload.get(end..).unwrap_or_default();
                (header, Some(Bytes::copy_from_slice(body)))
            }
            _ => (
                serde_json::from_slice(payload).map_err(|e| bad(&e.to_string()))?,
                None,
            ),
        };
        let body = match (body, header.body) {
            (Some(b), _) => b,
            (None, Some(s)) => Bytes::from(s.into_bytes()),
            (None, None) => return Err(bad("no body")),
        };
        Ok(InboxJob {
            target: header.target,
            signer: header.signer.into_owned(),
            key_id: header.key_id.into_owned(),
            scheme: header.scheme.into_owned(),
            received_at: header.received_at,
            actor_gone: header.actor_gone,
            dedupe: header.dedupe.map(|d| d.into_owned()),
            body,
        })
    }
}

fn reject(kind: Rejection, reason: impl Into<String>) -> Error {
    Error::rejected(kind, reason)
}

/// The deepest nesting of arrays and objects in a JSON text, counted without parsing; stops
/// counting once `limit` is exceeded.
pub(crate) fn json_depth(bytes: &[u8], limit: usize) -> usize {
    let mut depth = 0usize;
    let mut max = 0usize;
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        match b {
            b'"' => {
                // Most of an activity's bytes are inside strings: jump to the next quote or
                // backslash instead of looking at every byte.
                loop {
                    let Some(off) = bytes.get(i..).and_then(|r| memchr::memchr2(b'"', b'\\', r))
                    else {
                        return max;
                    };
                    i += off;
                    if bytes.get(i) == Some(&b'\\') {
                        i += 2;
                    } else {
                        i += 1;
                        break;
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    max = depth;
                    if max > limit {
                        return max;
                    }
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn is_activitystreams_content_type(v: Option<&header::HeaderValue>) -> bool {
    let Some(v) = v.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut parts = v.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/activity+json" => true,
        "application/ld+json" => parts.any(|p| {
            let p = p.trim();
            p.split_once('=').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("profile")
                    && v.trim()
                        .trim_matches('"')
                        .split(' ')
                        .any(|prof| prof == "https://www.w3.org/ns/activitystreams")
            })
        }),
        _ => false,
    }
}

impl Engine {
    /// Runs the inbox pipeline and answers: `202 Accepted` (also for a duplicate), or the
    /// rejection's status with a JSON body `{"error": "<kind>", "detail": "…"}`. Every
    /// rejection is logged as a `tracing` event.
    pub async fn inbox(
        &self,
        request: http::Request<Bytes>,
        target: InboxTarget,
    ) -> http::Response<Bytes> {
        match self.receive(request, target).await {
            Ok(_) => accepted(),
            Err(e) => e.to_response(),
        }
    }

    /// The inbox pipeline, returning what happened instead of a response (see the
    /// [module docs](super)). On `Ok`, the activity is durably queued (or was a duplicate).
    pub async fn receive(
        &self,
        request: http::Request<Bytes>,
        target: InboxTarget,
    ) -> Result<Accepted, Error> {
        let result = self.receive_inner(request, &target).await;
        match &result {
            Ok(a) if a.duplicate => {
                tracing::debug!(id = %a.activity_id, "duplicate activity ignored")
            }
            Ok(a) => tracing::debug!(id = %a.activity_id, actor = %a.actor, "activity queued"),
            Err(e) => tracing::info!(
                status = e.status().as_u16(),
                rejection = e.rejection().map_or("error", |k| k.as_str()),
                error = %e,
                "inbox rejected a request"
            ),
        }
        result
    }

    async fn receive_inner(
        &self,
        request: http::Request<Bytes>,
        target: &InboxTarget,
    ) -> Result<Accepted, Error> {
        let cfg = &self.inner.config;
        let (mut parts, body) = request.into_parts();
        // 1. Size, content type, JSON depth.
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if body.len() > cfg.max_body_bytes || declared.is_some_and(|n| n > cfg.max_body_bytes) {
            return Err(reject(
                Rejection::TooLarge,
                format!("body larger than {} bytes", cfg.max_body_bytes),
            ));
        }
        if parts.method != Method::POST {
            return Err(reject(Rejection::BadRequest, "an inbox takes POST"));
        }
        if !is_activitystreams_content_type(parts.headers.get(header::CONTENT_TYPE)) {
            return Err(reject(
                Rejection::UnsupportedMediaType,
                format!(
                    "content type {:?} is not application/activity+json",
                    parts.headers.get(header::CONTENT_TYPE)
                ),
            ));
        }
        if json_depth(&body, cfg.max_json_depth) > cfg.max_json_depth {
            return Err(reject(
                Rejection::BadRequest,
                format!("JSON nested deeper than {}", cfg.max_json_depth),
            ));
        }
        // 2. Digest / Content-Digest against the body.
        let has_digest =
            parts.headers.contains_key("digest") || parts.headers.contains_key("content-digest");
        if !has_digest {
            return Err(reject(
                Rejection::Digest,
                "a POST must carry Digest or Content-Digest",
            ));
        }
        match http_sig::verify_body_digest(CryptoProvider::get_default(), &parts.headers, &body) {
            Ok(_) => {}
            Err(e) if e.is_malformed() => return Err(reject(Rejection::BadRequest, e.to_string())),
            Err(e) => return Err(reject(Rejection::Digest, e.to_string())),
        }
        // The claimed activity, cheaply.
        let peek = crate::peek(&body).map_err(|e| reject(Rejection::BadRequest, e.to_string()))?;
        // Mastodon sends the `Add` / `Remove` of a pinned post without an `id`: those two are
        // accepted without one and deduplicated by the SHA-256 of their bytes.
        let id: Option<ObjectId<AnyObject>> = match peek.id.as_deref() {
            Some(id) => Some(
                ObjectId::parse(id).map_err(|e| reject(Rejection::Unprocessable, e.to_string()))?,
            ),
            // Other activities need an id (an `Accept` or `Undo` refers to it).
            None if !matches!(peek.kind.as_deref(), Some("Add" | "Remove")) => {
                return Err(reject(Rejection::Unprocessable, "the activity has no id"));
            }
            None => None,
        };
        let dedupe_key = match &id {
            Some(id) => id.as_str().to_owned(),
            None => anonymous_activity_key(&body),
        };
        let actor = peek
            .actor
            .as_deref()
            .ok_or_else(|| reject(Rejection::Unprocessable, "the activity has no actor"))?;
        let actor: ObjectId<Actor> =
            ObjectId::parse(actor).map_err(|e| reject(Rejection::Unprocessable, e.to_string()))?;
        if let InboxTarget::Actor(local) = target {
            let local_id = ObjectId::<Actor>::parse(local)
                .map_err(|_| reject(Rejection::NotFound, "no such inbox"))?;
            if self.local_key(&local_id).await?.is_none() {
                return Err(reject(
                    Rejection::NotFound,
                    format!("no local actor {local}"),
                ));
            }
        }
        if !self.inner.handler.allow(actor.as_str()).await {
            return Err(reject(
                Rejection::Forbidden,
                format!("{} is blocked", actor.as_str()),
            ));
        }
        if let Err(refused) = self.policies().admit(actor.as_str()) {
            return Err(reject(Rejection::Forbidden, refused.to_string()));
        }
        // 3. The signature, with the key from the cache, else fetched; refetched once.
        self.absolute_uri(&mut parts);
        let sigs = http_sig::parse_request(&parts)
            .map_err(|e| reject(Rejection::Signature, e.to_string()))?;
        let is_self_delete = peek.kind.as_deref() == Some("Delete")
            && peek.object.as_deref() == Some(actor.as_str());
        let mut budget = FetchBudget::new(cfg.fetch_budget);
        let (verified, owner) = match self
            .check_signatures(sigs, &mut budget, is_self_delete)
            .await?
        {
            Checked::Verified { verified, owner } => (verified, owner),
            Checked::KeyGone => {
                return self
                    .accept_actor_gone(&dedupe_key, &actor, target, &body)
                    .await;
            }
        };
        // 4. The signer owns the actor; ids on the actor's origin.
        if owner != actor.as_str() {
            return Err(reject(
                Rejection::Forbidden,
                format!(
                    "signed by {owner} (key {}), but the actor is {}",
                    verified.key_id,
                    actor.as_str()
                ),
            ));
        }
        if let Some(id) = id.as_ref().filter(|id| !id.same_origin(&actor)) {
            return Err(reject(
                Rejection::Forbidden,
                format!("activity {} is not on its actor's origin", id.as_str()),
            ));
        }
        let creates = matches!(peek.kind.as_deref(), Some("Create" | "Update"));
        if creates {
            if let Some(object) = peek.object.as_deref() {
                let object_id = ObjectId::<AnyObject>::parse(object)
                    .map_err(|e| reject(Rejection::Unprocessable, e.to_string()))?;
                if !object_id.same_origin(&actor) {
                    return Err(reject(
                        Rejection::Forbidden,
                        format!(
                            "{} cannot create or update {object}: another origin",
                            actor.as_str()
                        ),
                    ));
                }
                // 5a. A deleted object is not created again.
                if self.inner.store.is_tombstoned(object).await? {
                    return Err(reject(Rejection::Gone, format!("{object} was deleted")));
                }
            }
        }
        if let Some(id) = &id {
            if self.inner.store.is_tombstoned(id.as_str()).await? {
                return Err(reject(
                    Rejection::Gone,
                    format!("{} was deleted", id.as_str()),
                ));
            }
        }
        // 5b + 6. Dedupe and persist in one atomic, durable write.
        let scheme = verified.scheme;
        let job = InboxJob {
            target: target.clone(),
            signer: owner.clone(),
            key_id: verified.key_id.clone(),
            scheme: scheme.as_str().to_owned(),
            received_at: self.now().as_unix_millis(),
            actor_gone: false,
            dedupe: None,
            body: body.clone(),
        };
        let applied = self.enqueue_inbox(&dedupe_key, actor.host(), job).await?;
        if scheme == Scheme::Rfc9421 {
            if let Ok(u) = parse_fetch_url(actor.as_str()) {
                self.remember_scheme(&host_of(&u), Scheme::Rfc9421).await;
            }
        }
        Ok(Accepted {
            activity_id: dedupe_key,
            actor: owner,
            duplicate: !applied,
            actor_gone: false,
            scheme: Some(scheme.as_str().to_owned()),
        })
    }

    /// Persists an accepted activity unless it is a duplicate; returns whether it was new.
    ///
    /// Usually the dedupe check and the enqueue are one atomic batch. When the store keeps the
    /// inbox queue in a journal ([`StoreInfo::journals_queue`](fedi_storage::StoreInfo)), an
    /// enqueue is one cheap append while the dedupe set's keys are the expensive part, so the
    /// check moves off the request path: the bounded in-memory filter of recently accepted ids
    /// answers most duplicates at once, the job carries its dedupe key, and the runner checks
    /// and records it in the store's dedupe set before the handler runs
    /// (`Engine::process_inbox`), so a duplicate that slipped past the filter (evicted, or
    /// received before a restart) is still handled once.
    async fn enqueue_inbox(&self, id: &str, lane: &str, mut job: InboxJob) -> Result<bool, Error> {
        let now = self.now();
        if self.inner.store.journals_queue(INBOX_QUEUE) {
            if !self.inner.recent.insert(id) {
                return Ok(false);
            }
            job.dedupe = Some(id.to_owned());
            let queued = match job.encode() {
                Ok(payload) => {
                    let new = NewJob::new(lane, payload, now)
                        .with_max_attempts(self.inner.config.inbox_queue.max_attempts);
                    self.inner
                        .store
                        .enqueue(INBOX_QUEUE, &new)
                        .await
                        .map_err(Error::from)
                }
                Err(e) => Err(e),
            };
            return match queued {
                Ok(_) => {
                    self.inner.inbox_work.notify_one();
                    Ok(true)
                }
                Err(e) => {
                    self.inner.recent.remove(id);
                    Err(e)
                }
            };
        }
        let payload = job.encode()?;
        let batch = WriteBatch::new()
            .unless_seen(id, now, self.inner.config.dedupe_ttl)
            .enqueue(
                INBOX_QUEUE,
                NewJob::new(lane, payload, now)
                    .with_max_attempts(self.inner.config.inbox_queue.max_attempts),
            );
        let outcome = self.apply_grouped(batch).await?;
        if outcome.applied {
            self.inner.inbox_work.notify_one();
        }
        Ok(outcome.applied)
    }

    async fn accept_actor_gone(
        &self,
        dedupe_key: &str,
        actor: &ObjectId<Actor>,
        target: &InboxTarget,
        body: &[u8],
    ) -> Result<Accepted, Error> {
        tracing::info!(actor = %actor.as_str(), "Delete from an actor whose key is gone: accepted");
        let job = InboxJob {
            target: target.clone(),
            signer: actor.as_str().to_owned(),
            key_id: String::new(),
            scheme: String::new(),
            received_at: self.now().as_unix_millis(),
            actor_gone: true,
            dedupe: None,
            body: Bytes::copy_from_slice(body),
        };
        let applied = self.enqueue_inbox(dedupe_key, actor.host(), job).await?;
        Ok(Accepted {
            activity_id: dedupe_key.to_owned(),
            actor: actor.as_str().to_owned(),
            duplicate: !applied,
            actor_gone: true,
            scheme: None,
        })
    }
}

/// `202 Accepted` with no body (the other answers are [`Error::to_response`]).
fn accepted() -> http::Response<Bytes> {
    let mut r = http::Response::new(Bytes::new());
    *r.status_mut() = StatusCode::ACCEPTED;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_job() -> InboxJob {
        InboxJob {
            target: InboxTarget::Shared,
            signer: "https://a.example/users/x".into(),
            key_id: "https://a.example/users/x#main-key".into(),
            scheme: "cavage".into(),
            received_at: 1_767_225_600_000,
            actor_gone: false,
            dedupe: Some("https://a.example/1".into()),
            body: Bytes::from_static(
                br#"{"id":"https://a.example/1","content":"\"quoted\" \u00e9"}"#,
            ),
        }
    }

    #[test]
    fn inbox_jobs_keep_the_body_bytes_exactly() {
        let job = sample_job();
        let enc = job.encode().expect("encode");
        assert_eq!(enc[0], JOB_FRAME_V1);
        // The body is stored verbatim at the end, not re-escaped.
        assert!(enc.ends_with(&job.body));
        let back = InboxJob::decode(&enc).expect("decode");
        assert_eq!(back.body, job.body);
        assert_eq!(back.signer, job.signer);
        assert_eq!(back.key_id, job.key_id);
        assert_eq!(back.scheme, job.scheme);
        assert_eq!(back.received_at, job.received_at);
        assert!(!back.actor_gone);
        assert_eq!(back.dedupe, job.dedupe);
        assert!(matches!(back.target, InboxTarget::Shared));
    }

    #[test]
    fn legacy_json_inbox_jobs_are_still_read() {
        let legacy = serde_json::json!({
            "target": serde_json::to_value(InboxTarget::Shared).expect("target"),
            "signer": "https://a.example/users/x",
            "key_id": "",
            "scheme": "",
            "received_at": 5,
            "actor_gone": true,
            "body": "{\"type\":\"Delete\"}",
        });
        let job = InboxJob::decode(&serde_json::to_vec(&legacy).expect("json")).expect("decode");
        assert_eq!(&job.body[..], br#"{"type":"Delete"}"#);
        assert!(job.actor_gone);
        assert_eq!(job.received_at, 5);
    }

    #[test]
    fn damaged_inbox_jobs_are_permanent_errors_not_panics() {
        let enc = sample_job().encode().expect("encode");
        for cut in 0..40.min(enc.len()) {
            if let Err(e) = InboxJob::decode(&enc[..cut]) {
                assert!(e.to_string().contains("bad inbox job"), "{e}");
            } else {
                panic!("a job cut at {cut} bytes decoded");
            }
        }
        let mut huge_len = enc.clone();
        huge_len[1..5].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(InboxJob::decode(&huge_len).is_err());
        assert!(InboxJob::decode(b"").is_err());
        assert!(InboxJob::decode(b"{\"target\":1}").is_err());
    }

    #[test]
    fn json_depth_counts_nesting_outside_strings() {
        assert_eq!(json_depth(br#"{"a":1}"#, 10), 1);
        assert_eq!(json_depth(br#"{"a":[{"b":{}}]}"#, 10), 4);
        assert_eq!(json_depth(br#"{"a":"[[[[{{{{"}"#, 10), 1);
        assert_eq!(json_depth(br#"{"a":"\"[[[["}"#, 10), 1);
        let deep = "[".repeat(100_000);
        assert_eq!(json_depth(deep.as_bytes(), 32), 33);
    }

    /// The byte-at-a-time definition `json_depth` must agree with.
    fn json_depth_slow(bytes: &[u8], limit: usize) -> usize {
        let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
        for &b in bytes {
            if in_string {
                if escaped {
                    escaped = false;
                } else if b == b'\\' {
                    escaped = true;
                } else if b == b'"' {
                    in_string = false;
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'[' | b'{' => {
                    depth += 1;
                    if depth > max {
                        max = depth;
                        if max > limit {
                            return max;
                        }
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        max
    }

    proptest::proptest! {
        #[test]
        fn json_depth_agrees_with_the_byte_loop(
            bytes in proptest::collection::vec(proptest::sample::select(
                vec![b'"', b'\\', b'[', b']', b'{', b'}', b'a', b':', b','],
            ), 0..200),
            limit in 0usize..12,
        ) {
            proptest::prop_assert_eq!(json_depth(&bytes, limit), json_depth_slow(&bytes, limit));
        }
    }

    #[test]
    fn content_types() {
        let ok = [
            "application/activity+json",
            "application/activity+json; charset=utf-8",
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
            "Application/LD+JSON;profile=\"https://www.w3.org/ns/activitystreams\"",
        ];
        for v in ok {
            assert!(
                is_activitystreams_content_type(Some(&header::HeaderValue::from_static(v))),
                "{v}"
            );
        }
        let bad = ["application/json", "application/ld+json", "text/html", ""];
        for v in bad {
            assert!(
                !is_activitystreams_content_type(Some(&header::HeaderValue::from_static(v))),
                "{v}"
            );
        }
        assert!(!is_activitystreams_content_type(None));
    }
}
