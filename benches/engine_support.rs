//! Shared pieces of the engine benchmarks (`engine.rs`, `fanout.rs`): Mastodon-shaped
//! documents, a remote server on the in-memory network, and readings from `/proc`.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use activitypub_core::builder::PersonBuilder;
use activitypub_core::engine::transport::memory::MemoryNetwork;
use activitypub_core::{Actor, ObjectId};
use bytes::Bytes;
use http::{Request, Response, StatusCode};

/// A `Create(Note)` in the shape Mastodon sends (public post with a mention and a hashtag,
/// `contentMap`, `replies` collection, ostatus fields): about 2.3 KB.
pub fn mastodon_create(actor: &str, status: u64) -> Vec<u8> {
    let host = actor
        .split('/')
        .nth(2)
        .expect("actor IRI has a host")
        .to_owned();
    let user = actor.rsplit('/').next().expect("actor IRI has a path");
    let note = format!("{actor}/statuses/{status}");
    let followers = format!("{actor}/followers");
    let content = format!(
        "<p><span class=\"h-card\" translate=\"no\"><a href=\"https://wool.example/@bob\" \
         class=\"u-url mention\">@<span>bob</span></a></span> Measured the inbox \
         again: the queue drains faster than deliveries arrive. <a href=\"https://{host}/tags/rustlang\" \
         class=\"mention hashtag\" rel=\"tag\">#<span>rustlang</span></a></p>"
    );
    let doc = serde_json::json!({
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            {
                "ostatus": "http://ostatus.org#",
                "atomUri": "ostatus:atomUri",
                "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
                "conversation": "ostatus:conversation",
                "sensitive": "as:sensitive",
                "toot": "http://joinmastodon.org/ns#",
                "votersCount": "toot:votersCount",
                "Hashtag": "as:Hashtag"
            }
        ],
        "id": format!("{note}/activity"),
        "type": "Create",
        "actor": actor,
        "published": "2026-01-01T00:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [followers, "https://wool.example/users/bob"],
        "object": {
            "id": note,
            "type": "Note",
            "summary": null,
            "inReplyTo": null,
            "published": "2026-01-01T00:00:00Z",
            "url": format!("https://{host}/@{user}/{status}"),
            "attributedTo": actor,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [format!("{actor}/followers"), "https://wool.example/users/bob"],
            "sensitive": false,
            "atomUri": note,
            "inReplyToAtomUri": null,
            "conversation": format!("tag:{host},2026-01-01:objectId={status}:objectType=Conversation"),
            "content": content,
            "contentMap": {"en": content},
            "attachment": [],
            "tag": [
                {"type": "Mention", "href": "https://wool.example/users/bob", "name": "@bob@wool.example"},
                {"type": "Hashtag", "href": format!("https://{host}/tags/rustlang"), "name": "#rustlang"}
            ],
            "replies": {
                "id": format!("{note}/replies"),
                "type": "Collection",
                "first": {
                    "type": "CollectionPage",
                    "next": format!("{note}/replies?only_other_accounts=true&page=true"),
                    "partOf": format!("{note}/replies"),
                    "items": []
                }
            }
        }
    });
    serde_json::to_vec(&doc).expect("serializes")
}

/// A Mastodon-style `Person` document (shared inbox at the origin's `/inbox`).
pub fn person(id: &str, pem: &str) -> Bytes {
    let id: ObjectId<Actor> = ObjectId::parse(id).expect("actor IRI");
    let name = id
        .as_str()
        .rsplit('/')
        .next()
        .unwrap_or("someone")
        .to_owned();
    let doc = PersonBuilder::new(&id, &name, pem)
        .expect("person")
        .name(&name)
        .summary("<p>Benchmarks the fediverse.</p>")
        .build();
    Bytes::from(serde_json::to_vec(&doc).expect("serializes"))
}

/// An `application/activity+json` response.
pub fn json_response(status: StatusCode, body: Bytes) -> Response<Bytes> {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/activity+json"),
    );
    r
}

/// A remote server on the in-memory network serving fixed documents by path.
pub fn serve_documents(net: &MemoryNetwork, host: &str) -> Arc<Mutex<HashMap<String, Bytes>>> {
    let docs: Arc<Mutex<HashMap<String, Bytes>>> = Arc::default();
    let served = docs.clone();
    net.serve(host, move |req: Request<Bytes>| {
        let found = served
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(req.uri().path())
            .cloned();
        async move {
            match found {
                Some(body) => json_response(StatusCode::OK, body),
                None => json_response(StatusCode::NOT_FOUND, Bytes::new()),
            }
        }
    });
    docs
}

/// A field of `/proc/self/status` in kB (`VmRSS`, `VmHWM`).
pub fn status_kb(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Resets `VmHWM` to the current RSS (Linux: write `5` to `/proc/self/clear_refs`).
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// This thread's CPU time (`/proc/thread-self/schedstat`).
pub fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(
        s.split_whitespace().next()?.parse().ok()?,
    ))
}

/// The CPU time of every thread of this process (sum of `/proc/self/task/*/schedstat`).
pub fn process_cpu() -> Option<Duration> {
    let mut total = 0u64;
    for entry in std::fs::read_dir("/proc/self/task").ok()? {
        let path = entry.ok()?.path().join("schedstat");
        if let Ok(s) = std::fs::read_to_string(path) {
            total += s
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Some(Duration::from_nanos(total))
}

/// `/proc/loadavg`'s first three fields, for the record beside each figure.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}
