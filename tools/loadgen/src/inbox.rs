//! Signed `Create(Note)` deliveries to a shared inbox, prepared (signed) ahead of time.

use std::time::SystemTime;

use bytes::Bytes;
use http::{HeaderMap, Request};
use http_body_util::Full;
use http_sig::{sign_request, SignOptions};
use serde_json::json;

use crate::actors::RemoteActor;
use crate::client::Target;
use crate::error::{Error, Result};

/// The ActivityStreams public collection.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// One prepared delivery: headers (with `Host`, `Date`, `Digest`, `Signature`) and body.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The path it is posted to.
    pub path: String,
    /// The signed headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// The activity id.
    pub activity_id: String,
    /// The Note's id.
    pub note_id: String,
}

impl Delivery {
    /// The request to send (cheap: headers and body are shared or small).
    pub fn request(&self) -> Result<Request<Full<Bytes>>> {
        let mut r = Request::post(self.path.as_str())
            .body(Full::new(self.body.clone()))
            .map_err(|e| Error::Usage(e.to_string()))?;
        *r.headers_mut() = self.headers.clone();
        Ok(r)
    }
}

/// A Mastodon-shaped `Create` of a public `Note` by `actor`, status number `sid`, published
/// at `published` (RFC 3339).
pub fn create_note(actor: &RemoteActor, sid: &str, published: &str, n: u64) -> serde_json::Value {
    let iri = &actor.iri;
    let base = iri
        .rsplit_once("/users/")
        .map_or(iri.as_str(), |(b, _)| b)
        .to_owned();
    let note_id = format!("{iri}/statuses/{sid}");
    let followers = format!("{iri}/followers");
    let content = format!(
        "<p>Load test toot number {n}, with a little text so that the body is about as \
         long as an ordinary post on a Mastodon server. Baa.</p>"
    );
    json!({
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            {
                "ostatus": "http://ostatus.org#",
                "atomUri": "ostatus:atomUri",
                "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
                "conversation": "ostatus:conversation",
                "sensitive": "as:sensitive",
                "toot": "http://joinmastodon.org/ns#",
                "votersCount": "toot:votersCount"
            }
        ],
        "id": format!("{note_id}/activity"),
        "type": "Create",
        "actor": iri,
        "published": published,
        "to": [PUBLIC],
        "cc": [followers],
        "object": {
            "id": note_id,
            "type": "Note",
            "summary": null,
            "inReplyTo": null,
            "published": published,
            "url": format!("{base}/@{}/{sid}", actor.name),
            "attributedTo": iri,
            "to": [PUBLIC],
            "cc": [followers],
            "sensitive": false,
            "atomUri": note_id,
            "inReplyToAtomUri": null,
            "conversation": format!("tag:{},2026:objectId={sid}:objectType=Conversation",
                base.trim_start_matches("http://")),
            "content": content,
            "contentMap": {"en": content},
            "attachment": [],
            "tag": [],
            "replies": {
                "id": format!("{note_id}/replies"),
                "type": "Collection",
                "first": {
                    "type": "CollectionPage",
                    "next": format!("{note_id}/replies?only_other_accounts=true&page=true"),
                    "partOf": format!("{note_id}/replies"),
                    "items": []
                }
            }
        }
    })
}

/// Signs one delivery of `activity` by `actor` to `path` on `target`, draft-cavage as
/// Mastodon does (`(request-target) host date digest content-type`), dated `now`.
pub fn sign_delivery(
    target: &Target,
    path: &str,
    actor: &RemoteActor,
    activity: &serde_json::Value,
    now: SystemTime,
) -> Result<Delivery> {
    let body = Bytes::from(serde_json::to_vec(activity)?);
    let (mut parts, ()) = Request::post(target.url(path))
        .header(http::header::CONTENT_TYPE, "application/activity+json")
        .header(http::header::USER_AGENT, "woolly-loadgen")
        .body(())
        .map_err(|e| Error::Usage(e.to_string()))?
        .into_parts();
    sign_request(
        &mut parts,
        &body,
        &actor.key,
        &SignOptions::cavage(actor.key_id.clone()),
        now,
    )?;
    if !parts.headers.contains_key(http::header::HOST) {
        let host = http::HeaderValue::from_str(&target.authority)
            .map_err(|e| Error::Usage(e.to_string()))?;
        parts.headers.insert(http::header::HOST, host);
    }
    let id = |k: &str| {
        activity
            .pointer(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    Ok(Delivery {
        path: path.to_owned(),
        headers: parts.headers,
        body,
        activity_id: id("/id"),
        note_id: id("/object/id"),
    })
}

/// Prepares `count` deliveries numbered from `first`, round-robin over `actors`, each with a
/// distinct activity id (unique per `run`) and a `Date` of the moment it is signed; signed on
/// all cores.
pub fn prepare(
    target: &Target,
    path: &str,
    actors: &[RemoteActor],
    run: &str,
    first: u64,
    count: usize,
) -> Result<Vec<Delivery>> {
    if actors.is_empty() {
        return Err(Error::Usage("at least one actor".into()));
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let per = count.div_ceil(threads).max(1);
    let mut slots: Vec<Option<Result<Delivery>>> = (0..count).map(|_| None).collect();
    std::thread::scope(|s| {
        for (t, chunk) in slots.chunks_mut(per).enumerate() {
            s.spawn(move || {
                for (j, slot) in chunk.iter_mut().enumerate() {
                    let n = first + (t * per + j) as u64;
                    let actor = &actors[(n % actors.len() as u64) as usize];
                    let now = SystemTime::now();
                    let published = rfc3339(now);
                    let sid = format!("{run}{n:08}");
                    let activity = create_note(actor, &sid, &published, n);
                    *slot = Some(sign_delivery(target, path, actor, &activity, now));
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|s| s.unwrap_or_else(|| Err(Error::Usage("signing did not run".into()))))
        .collect()
}

/// `2026-11-22T14:15:16Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let dt = time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(0))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    dt.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
