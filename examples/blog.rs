//! A blog that federates its posts and accepts follows, on the Woolly engine.
//!
//! ```sh
//! cargo run -p woolly-examples --example blog -- http://127.0.0.1:3000
//! curl -X POST --data 'Hello, fediverse' http://127.0.0.1:3000/publish   # from this machine
//! ```
//! Follow `@blog@127.0.0.1:3000` (or the actor URL) from another server; each published post
//! goes to every follower's (shared) inbox. Data lives in `./blog-data` (sled).
use std::{convert::Infallible, sync::Arc};

use activitypub_core::engine::transport::hyper::HyperTransport;
use activitypub_core::engine::*;
use activitypub_core::{builder, Actor, AnyObject, Error, ObjectId, Visibility};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{body::Incoming, server::conn::http1, service::service_fn, Request, Response};

/// The blog's handler: accepts follows, forgets undone ones; everything else is ignored.
struct Blog;

#[async_trait::async_trait]
impl ActivityHandler for Blog {
    async fn handle(&self, engine: &Engine, a: InboxActivity) -> Result<(), Error> {
        let me = format!("{}blog", engine.config().base_url);
        let now = engine.now().as_unix_millis();
        match (a.kind(), &a.object) {
            ("Follow", _) => {
                engine.add_follower(&me, &a.signer, now).await?;
                let me: ObjectId<Actor> = ObjectId::parse(&me)?;
                let accept_id = ObjectId::parse(&format!("{}#accepts/{now}", me.as_str()))?;
                let accept = builder::accept(&accept_id, &me, a.activity.clone());
                let body = serde_json::to_vec(&accept)?;
                engine
                    .deliver(&body, &me, &Audience::new().actor(a.signer))
                    .await?;
            }
            ("Undo", Some(AnyObject::Activity(f))) if f.type_name() == Some("Follow") => {
                engine.remove_follower(&me, &a.signer).await?;
            }
            _ => {}
        }
        Ok(())
    }
}

fn reply(status: u16, kind: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", kind)
        .body(Full::new(body.into()))
        .unwrap_or_default()
}

async fn route(
    engine: Engine,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let base = engine.config().base_url.to_string();
    let me: ObjectId<Actor> = ObjectId::parse(&format!("{base}blog")).expect("a valid actor id");
    let (parts, body) = req.into_parts();
    let Ok(body) = Limited::new(body, engine.config().max_body_bytes)
        .collect()
        .await
    else {
        return Ok(reply(413, "text/plain", "too large"));
    };
    let req = Request::from_parts(parts, body.to_bytes());
    let json = "application/activity+json";
    Ok(match (req.method().as_str(), req.uri().path()) {
        ("GET", "/blog") => {
            let pem = engine
                .local_public_key_pem(&me)
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
            let person = builder::PersonBuilder::new(&me, "blog", &pem).map(|p| p.build());
            reply(
                200,
                json,
                person
                    .map(|p| serde_json::to_vec(&p).unwrap_or_default())
                    .unwrap_or_default(),
            )
        }
        ("GET", "/actor") => match engine.instance_actor_document().await {
            Ok(a) => reply(200, json, serde_json::to_vec(&a).unwrap_or_default()),
            Err(e) => reply(500, "text/plain", e.to_string()),
        },
        ("GET", "/.well-known/webfinger") => {
            let host = engine.config().base_url.authority().to_owned();
            let actor = me.url().clone();
            let account = webfinger::Account::parse(&format!("blog@{host}")).ok();
            let res = webfinger::server::respond(&req, |r| {
                let mine = r
                    .as_account()
                    .zip(account.as_ref())
                    .is_some_and(|(a, b)| a.eq_ignore_case(b))
                    || r.as_url() == Some(&actor);
                let descriptor = account
                    .clone()
                    .map(|a| webfinger::server::AccountDescriptor::new(a, actor.clone()));
                descriptor.filter(|_| mine)
            });
            res.map(|b| Full::new(Bytes::from(b)))
        }
        ("POST", "/inbox") => engine.inbox(req, InboxTarget::Shared).await.map(Full::new),
        ("POST", "/blog/inbox") => engine
            .inbox(req, InboxTarget::Actor(me.as_str().into()))
            .await
            .map(Full::new),
        ("POST", "/publish") => {
            let n = engine.now().as_unix_millis();
            let text = String::from_utf8_lossy(req.body()).into_owned();
            let note_id = ObjectId::parse(&format!("{base}posts/{n}")).expect("a valid id");
            let followers = format!("{base}blog/followers");
            let html = format!("<p>{}</p>", text.replace('&', "&amp;").replace('<', "&lt;"));
            let note =
                builder::NoteBuilder::new(note_id, &me, &followers, html, Visibility::Public)
                    .build();
            let create = builder::create(
                &ObjectId::parse(&format!("{base}posts/{n}/activity")).expect("id"),
                note,
            );
            let body = serde_json::to_vec(&create).unwrap_or_default();
            match engine
                .deliver(&body, &me, &Audience::new().followers_of(me.as_str()))
                .await
            {
                Ok(r) => reply(
                    202,
                    "text/plain",
                    format!("queued for {} inboxes\n", r.inboxes.len()),
                ),
                Err(e) => reply(500, "text/plain", e.to_string()),
            }
        }
        _ => reply(404, "text/plain", "not found"),
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:3000".into());
    let store = Arc::new(fedi_storage::sled::SledStore::open("blog-data")?);
    let transport = HyperTransport::builder()
        .allow_http(base.starts_with("http:"))
        .build()?;
    let engine = Engine::builder(EngineConfig::new(&base)?)
        .store(store)
        .transport(Arc::new(transport))
        .handler(Arc::new(Blog))
        .build()
        .await?;
    engine
        .create_local_actor(
            &ObjectId::parse(&format!("{base}/blog"))?,
            KeyAlgorithm::Rsa2048,
        )
        .await?;
    let runner = engine.clone();
    tokio::spawn(async move {
        runner
            .run(Shutdown::new(), std::time::Duration::from_millis(500))
            .await
    });
    let addr = url::Url::parse(&base)?.socket_addrs(|| Some(80))?[0];
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("blog at {base}/blog");
    loop {
        let (stream, _) = listener.accept().await?;
        let engine = engine.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| route(engine.clone(), req));
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = http1::Builder::new().serve_connection(io, service).await;
        });
    }
}
