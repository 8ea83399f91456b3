//! Remote actors for the load: RSA-2048 keys generated at run time, and a small HTTP server
//! on loopback that serves their actor documents so the server under test can fetch and
//! cache their keys.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;
use http_sig::PrivateKey;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::json;

use crate::error::{Error, Result};

/// A remote actor: its IRI, key id, private key and actor document.
#[derive(Debug, Clone)]
pub struct RemoteActor {
    /// `preferredUsername`.
    pub name: String,
    /// The actor IRI, `{base}/users/{name}`.
    pub iri: String,
    /// `{iri}#main-key`.
    pub key_id: String,
    /// The signing key.
    pub key: Arc<PrivateKey>,
    /// The actor document (JSON bytes).
    pub document: Bytes,
}

/// A Mastodon-shaped `Person` document.
pub fn person_document(base: &str, name: &str, public_key_pem: &str) -> serde_json::Value {
    let iri = format!("{base}/users/{name}");
    json!({
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            "https://w3id.org/security/v1",
            {
                "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
                "toot": "http://joinmastodon.org/ns#",
                "featured": {"@id": "toot:featured", "@type": "@id"},
                "discoverable": "toot:discoverable",
                "indexable": "toot:indexable"
            }
        ],
        "id": iri,
        "type": "Person",
        "following": format!("{iri}/following"),
        "followers": format!("{iri}/followers"),
        "inbox": format!("{iri}/inbox"),
        "outbox": format!("{iri}/outbox"),
        "featured": format!("{iri}/collections/featured"),
        "preferredUsername": name,
        "name": format!("Load {name}"),
        "summary": "<p>A load-generator actor.</p>",
        "url": format!("{base}/@{name}"),
        "manuallyApprovesFollowers": false,
        "discoverable": false,
        "indexable": false,
        "published": "2026-01-01T00:00:00Z",
        "publicKey": {
            "id": format!("{iri}#main-key"),
            "owner": iri,
            "publicKeyPem": public_key_pem
        },
        "tag": [],
        "attachment": [],
        "endpoints": {"sharedInbox": format!("{base}/inbox")}
    })
}

/// Generates `count` actors named `load0`, `load1` … under `base` (`http://HOST:PORT`), their
/// RSA-2048 keys generated on all cores.
pub fn generate(base: &str, count: usize) -> Result<Vec<RemoteActor>> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut slots: Vec<Option<Result<RemoteActor>>> = (0..count).map(|_| None).collect();
    std::thread::scope(|s| {
        for (t, chunk) in slots.chunks_mut(count.div_ceil(threads).max(1)).enumerate() {
            let first = t * count.div_ceil(threads).max(1);
            s.spawn(move || {
                for (j, slot) in chunk.iter_mut().enumerate() {
                    *slot = Some(one(base, &format!("load{}", first + j)));
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|s| s.unwrap_or_else(|| Err(Error::Usage("key generation did not run".into()))))
        .collect()
}

fn one(base: &str, name: &str) -> Result<RemoteActor> {
    let key = PrivateKey::generate_rsa(2048)?;
    let pem = key.public_key().to_pem()?;
    let iri = format!("{base}/users/{name}");
    let document = Bytes::from(serde_json::to_vec(&person_document(base, name, &pem))?);
    Ok(RemoteActor {
        name: name.to_owned(),
        key_id: format!("{iri}#main-key"),
        iri,
        key: Arc::new(key),
        document,
    })
}

/// The actor-document server, running until dropped.
#[derive(Debug)]
pub struct ActorServer {
    /// Where it listens.
    pub addr: SocketAddr,
    fetches: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl ActorServer {
    /// Serves `actors` (by path `/users/{name}`) on `listener`.
    pub fn start(listener: tokio::net::TcpListener, actors: &[RemoteActor]) -> Result<Self> {
        let addr = listener.local_addr()?;
        let docs: Arc<HashMap<String, Bytes>> = Arc::new(
            actors
                .iter()
                .map(|a| (format!("/users/{}", a.name), a.document.clone()))
                .collect(),
        );
        let fetches = Arc::new(AtomicU64::new(0));
        let counter = fetches.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let docs = docs.clone();
                let counter = counter.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let doc = docs.get(req.uri().path()).cloned();
                        if doc.is_some() {
                            counter.fetch_add(1, Ordering::Relaxed);
                        }
                        async move { Ok::<_, std::convert::Infallible>(answer(doc)) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Ok(ActorServer {
            addr,
            fetches,
            task,
        })
    }

    /// How many actor documents were served.
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }
}

impl Drop for ActorServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn answer(doc: Option<Bytes>) -> Response<Full<Bytes>> {
    let (status, ct, body) = match doc {
        Some(d) => (
            StatusCode::OK,
            "application/activity+json; charset=utf-8",
            d,
        ),
        None => (
            StatusCode::NOT_FOUND,
            "application/json",
            Bytes::from_static(b"{\"error\":\"Record not found\"}"),
        ),
    };
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(ct),
    );
    r
}
