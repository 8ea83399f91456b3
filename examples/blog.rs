//! A blog that federates its posts and accepts follows, on the Woolly engine.
//!
//! ```sh
//! cargo run -p woolly-examples --example blog -- http://127.0.0.1:3000
//! curl -X POST --data 'Hello, fediverse' http://127.0.0.1:3000/publish   # from this machine
//! ```
//! Follow `@blog@127.0.0.1:3000` (or the actor URL) from another server; each published post
//! goes to every follower's (shared) inbox. Data lives in `./blog-data` (sled).
use std::{convert::Infallible, sync::Arc};

use activitypub_core::builder::{self, NoteBuilder, PersonBuilder};
use activitypub_core::engine::{transport::hyper::HyperTransport, *};
use activitypub_core::{Actor, AnyObject, Error, Kind, ObjectId, Visibility};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{body::Body, server::conn::http1, service::service_fn, Request, Response};
use webfinger::server::{respond as respond_webfinger, AccountDescriptor as Descriptor};
use webfinger::Resource;

/// The blog's handler: accepts follows of the blog, forgets undone ones; ignores the rest.
pub(crate) struct Blog;

#[async_trait::async_trait]
impl ActivityHandler for Blog {
    async fn handle(&self, engine: &Engine, a: InboxActivity) -> Result<(), Error> {
        let (me, now) = (at::<Actor>(engine, "blog")?, engine.now().as_unix_millis());
        let followed = a.activity.first_object().and_then(|o| o.id()) == Some(me.as_str());
        match (a.kind(), &a.object) {
            ("Follow", _) if followed => {
                engine.add_follower(me.as_str(), &a.signer, now).await?;
                let id = at(engine, &format!("blog#accepts/{now}"))?;
                let accept = serde_json::to_vec(&builder::accept(&id, &me, a.activity))?;
                let to = Audience::new().actor(a.signer);
                engine.deliver(&accept, &me, &to).await?;
            }
            ("Undo", Some(AnyObject::Activity(f))) if f.is(&Kind::Follow) => {
                engine.remove_follower(me.as_str(), &a.signer).await?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// `path` on this server: always from the engine's base URL, which ends in exactly one `/`
/// however the command line spelled it.
pub(crate) fn at<T>(engine: &Engine, path: &str) -> Result<ObjectId<T>, Error> {
    ObjectId::parse(&format!("{}{path}", engine.config().base_url))
}

const AP: &str = "application/activity+json";

fn reply(status: u16, kind: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let r = Response::builder().status(status);
    let r = r.header("content-type", kind);
    r.body(Full::new(body.into())).unwrap_or_default()
}

fn json(actor: Result<Actor, Error>) -> Response<Full<Bytes>> {
    match actor {
        Ok(a) => reply(200, AP, serde_json::to_vec(&a).unwrap_or_default()),
        Err(e) => reply(500, "text/plain", e.to_string()),
    }
}

/// Answers one request; `/publish` only for a peer on `loopback`.
pub(crate) async fn respond<B>(
    engine: &Engine,
    req: Request<B>,
    loopback: bool,
) -> Response<Full<Bytes>>
where
    B: Body<Data = Bytes, Error: Into<Box<dyn std::error::Error + Send + Sync>>>,
{
    let (parts, body) = req.into_parts();
    let limit = engine.config().max_body_bytes;
    let Ok(body) = Limited::new(body, limit).collect().await else {
        return reply(413, "text/plain", "too large");
    };
    let req = Request::from_parts(parts, body.to_bytes());
    let Ok(me) = at::<Actor>(engine, "blog") else {
        return reply(500, "text/plain", "base URL");
    };
    let url = me.url().clone();
    match (req.method().as_str(), req.uri().path()) {
        ("GET", "/blog") => json(match engine.local_public_key_pem(&me).await {
            Ok(Some(pem)) => PersonBuilder::new(&me, "blog", &pem).map(|p| p.build()),
            other => Err(Error::Config(format!("no key for the blog: {other:?}"))),
        }),
        ("GET", "/actor") => json(engine.instance_actor_document().await),
        ("GET", "/.well-known/webfinger") => {
            let host = engine.config().base_url.authority();
            let account = webfinger::Account::parse(&format!("blog@{host}")).ok();
            let is_me = |r: &Resource| match (r.as_account(), &account) {
                (Some(a), Some(b)) => a.eq_ignore_case(b),
                _ => r.as_url() == Some(&url),
            };
            let found = |r: &Resource| account.clone().filter(|_| is_me(r));
            let jrd =
                respond_webfinger(&req, |r| found(r).map(|a| Descriptor::new(a, url.clone())));
            jrd.map(|b| Full::new(b.into()))
        }
        ("POST", "/inbox") => engine.inbox(req, InboxTarget::Shared).await.map(Full::new),
        ("POST", "/blog/inbox") => {
            let target = InboxTarget::Actor(me.as_str().into());
            engine.inbox(req, target).await.map(Full::new)
        }
        ("POST", "/publish") if !loopback => reply(403, "text/plain", "from this machine only\n"),
        ("POST", "/publish") => {
            match publish(engine, &me, &String::from_utf8_lossy(req.body())).await {
                Ok(n) => reply(202, "text/plain", format!("queued for {n} inboxes\n")),
                Err(e) => reply(500, "text/plain", e.to_string()),
            }
        }
        _ => reply(404, "text/plain", "not found"),
    }
}

/// Posts `text` as a public Note to the blog's followers; returns the number of inboxes.
async fn publish(engine: &Engine, me: &ObjectId<Actor>, text: &str) -> Result<usize, Error> {
    let n = engine.now().as_unix_millis();
    let html = format!("<p>{}</p>", text.replace('&', "&amp;").replace('<', "&lt;"));
    let (id, followers) = (
        at(engine, &format!("posts/{n}"))?,
        format!("{me}/followers"),
    );
    let note = NoteBuilder::new(id, me, &followers, html, Visibility::Public).build();
    let create = builder::create(&at(engine, &format!("posts/{n}/activity"))?, note);
    let to = Audience::new().followers_of(me.as_str());
    let report = engine
        .deliver(&serde_json::to_vec(&create)?, me, &to)
        .await?;
    Ok(report.inboxes.len())
}

#[tokio::main]
#[allow(dead_code)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::args().nth(1);
    let config = EngineConfig::new(base.as_deref().unwrap_or("http://127.0.0.1:3000"))?;
    let net = HyperTransport::builder().allow_http(config.base_url.scheme() == "http");
    let store = Arc::new(fedi_storage::sled::SledStore::open("blog-data")?);
    let addr = config.base_url.socket_addrs(|| Some(80))?[0];
    let engine = Engine::builder(config)
        .store(store)
        .transport(Arc::new(net.build()?));
    let engine = engine.handler(Arc::new(Blog)).build().await?;
    let me = at(&engine, "blog")?;
    engine
        .create_local_actor(&me, KeyAlgorithm::Rsa2048)
        .await?;
    let (runner, tick) = (engine.clone(), std::time::Duration::from_millis(500));
    tokio::spawn(async move { runner.run(Shutdown::new(), tick).await });
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("blog at {me}");
    loop {
        let (stream, peer) = listener.accept().await?;
        let engine = engine.clone();
        let service = service_fn(move |req| {
            let engine = engine.clone();
            async move { Ok::<_, Infallible>(respond(&engine, req, peer.ip().is_loopback()).await) }
        });
        let io = hyper_util::rt::TokioIo::new(stream);
        tokio::spawn(http1::Builder::new().serve_connection(io, service));
    }
}
