//! A remote server on the in-memory network for in-process tests of what other servers send:
//! an instance (`App` and its router on `MemoryNetwork`, a manual clock), files served by URL,
//! actors with fresh keys, and signed deliveries to the shared inbox (processed at once).
//! Used by `app_remote_media.rs` and `app_remote_emoji.rs`, which add their own helpers.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use activitypub_core::engine::transport::memory::MemoryNetwork;
use bytes::Bytes;
use fedi_storage::memory::MemoryStore;
use fedi_storage::{ManualClock, Timestamp};
use http::{Request, Response, StatusCode};
use reference_server::http::Router;
use reference_server::{App, Config};
use serde_json::{json, Value};

/// The public collection, as an addressee.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// What the remote servers serve: `host[:port]` + path → status, content type, body.
pub type Files = Arc<Mutex<HashMap<String, (StatusCode, String, Bytes)>>>;

/// The instance under test and the remote servers it talks to.
pub struct Env {
    pub app: App,
    pub router: Router,
    pub net: MemoryNetwork,
    pub clock: ManualClock,
    /// Files served, by `host` + path.
    pub files: Files,
}

/// A fresh instance at `http://wool.test` keeping cached remote media `retention_days`.
pub async fn env(retention_days: u64) -> Env {
    let net = MemoryNetwork::new();
    let config = Config {
        base_url: "http://wool.test".into(),
        media_cache_retention_days: retention_days,
        ..Config::default()
    };
    let clock = ManualClock::new(Timestamp::now());
    let app = App::with_clock(
        config,
        Arc::new(MemoryStore::new()),
        Arc::new(net.clone()),
        Some(Arc::new(clock.clone())),
    )
    .await
    .unwrap();
    let router = Router::new(app.clone());
    Env {
        app,
        router,
        net,
        clock,
        files: Arc::default(),
    }
}

impl Env {
    /// Serves `body` at `url` (on the in-memory network) with a status and content type.
    pub fn serve(&self, url: &str, status: StatusCode, content_type: &str, body: impl Into<Bytes>) {
        let u = url::Url::parse(url).unwrap();
        let authority = match u.port() {
            Some(p) => format!("{}:{p}", u.host_str().unwrap()),
            None => u.host_str().unwrap().to_owned(),
        };
        let key = format!("{authority}{}", u.path());
        let new_host = {
            let mut files = self.files.lock().unwrap();
            let new = !files
                .keys()
                .any(|k| k.starts_with(&format!("{authority}/")));
            files.insert(key, (status, content_type.to_owned(), body.into()));
            new
        };
        if new_host {
            let files = self.files.clone();
            let a = authority.clone();
            self.net.serve(&authority, move |req: Request<Bytes>| {
                let found = files
                    .lock()
                    .unwrap()
                    .get(&format!("{a}{}", req.uri().path()))
                    .cloned();
                async move {
                    let (status, ct, body) =
                        found.unwrap_or((StatusCode::NOT_FOUND, "text/plain".into(), Bytes::new()));
                    Response::builder()
                        .status(status)
                        .header("content-type", ct)
                        .body(body)
                        .unwrap()
                }
            });
        }
    }

    /// Publishes a `Person` at `iri` (its `preferredUsername` the IRI's last segment) with a new
    /// key (and `extra` properties); returns the key.
    pub fn person(&self, iri: &str, extra: Value) -> http_sig::PrivateKey {
        let key = http_sig::PrivateKey::generate_ed25519().unwrap();
        let username = iri.rsplit('/').next().unwrap_or("someone");
        let mut doc = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": iri, "type": "Person", "preferredUsername": username,
            "inbox": format!("{iri}/inbox"),
            "publicKey": {"id": format!("{iri}#main-key"), "owner": iri,
                "publicKeyPem": key.public_key().to_pem().unwrap()}
        });
        if let (Value::Object(d), Value::Object(e)) = (&mut doc, extra) {
            d.extend(e);
        }
        self.serve(
            iri,
            StatusCode::OK,
            "application/activity+json",
            doc.to_string(),
        );
        key
    }

    /// Delivers `activity` signed by `signer`'s key; the inbox answer.
    pub async fn deliver(
        &self,
        activity: &Value,
        key: &http_sig::PrivateKey,
        signer: &str,
    ) -> StatusCode {
        let body = activity.to_string().into_bytes();
        let (mut parts, ()) = Request::post("http://wool.test/inbox")
            .header("content-type", "application/activity+json")
            .body(())
            .unwrap()
            .into_parts();
        http_sig::sign_request(
            &mut parts,
            &body,
            key,
            &http_sig::SignOptions::cavage(format!("{signer}#main-key")),
            SystemTime::now(),
        )
        .unwrap();
        let status = self
            .router
            .handle(Request::from_parts(parts, Bytes::from(body)), None)
            .await
            .status();
        self.app.engine().process_inbox(100).await.unwrap();
        status
    }
}

/// A PNG of `w`×`h` with a gradient.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 90])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Requests of the tests to the instance.
impl Env {
    /// Delivers `object` in a `Create` from `signer`.
    pub async fn create(&self, object: &Value, signer: &str, key: &http_sig::PrivateKey) {
        let create = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}#create", object["id"].as_str().unwrap()),
            "type": "Create", "actor": signer, "to": [PUBLIC], "object": object,
        });
        assert_eq!(
            self.deliver(&create, key, signer).await,
            StatusCode::ACCEPTED,
            "{}",
            object["id"]
        );
    }

    /// A GET through the router that must answer 200: the body as JSON.
    pub async fn get_json(&self, path_or_url: &str) -> Value {
        let (status, body) = self.get(path_or_url).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{path_or_url}: {}",
            String::from_utf8_lossy(&body)
        );
        serde_json::from_slice(&body).unwrap()
    }

    /// A GET through the router: status and body.
    pub async fn get(&self, path_or_url: &str) -> (StatusCode, Bytes) {
        let url = if path_or_url.starts_with("http") {
            path_or_url.to_owned()
        } else {
            format!("http://wool.test{path_or_url}")
        };
        let r = self
            .router
            .handle(Request::get(url).body(Bytes::new()).unwrap(), None)
            .await;
        let status = r.status();
        (status, r.into_body())
    }

    /// The client-API entity of the status with `uri`.
    pub async fn status_entity(&self, uri: &str) -> Value {
        let s = self
            .app
            .status_by_uri(uri)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{uri}: no status"));
        let (status, body) = self.get(&format!("/api/v1/statuses/{}", s.id)).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).unwrap()
    }
}
