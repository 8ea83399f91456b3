//! A blog that federates its posts and accepts follows, on the Woolly engine.
//! ```sh
//! cargo run -p woolly-examples --example blog -- http://127.0.0.1:3000
//! curl -X POST --data 'Hello, fediverse' http://127.0.0.1:3000/publish   # from this machine
//! ```
//! Follow `@blog@127.0.0.1:3000` (or the actor URL) from another server; each published post
//! goes to every follower's (shared) inbox. Data lives in `./blog-data` (sled).
use activitypub_core::{builder, engine::*, Actor, Error, ObjectId, Visibility};
use http_body_util::Full;
use hyper::{body::Body, body::Bytes, server::conn::http1, service::service_fn, Request, Response};
use std::{convert::Infallible, fmt::Display, sync::Arc};
use webfinger::server::{respond_for_accounts, AccountDescriptor};

/// What a route answers: a response, or an error answered with its status (`Error::to_response`).
type Answer = Result<Response<Bytes>, Error>;

/// The blog's handler: accepts follows of the blog, forgets undone ones; ignores the rest.
pub(crate) struct Blog;

#[async_trait::async_trait]
impl ActivityHandler for Blog {
    async fn handle(&self, engine: &Engine, a: InboxActivity) -> Result<(), Error> {
        let me = at::<Actor>(engine, "blog")?;
        if a.kind() == "Follow" && a.object_id() == Some(me.as_str()) {
            engine.accept_follow(&me, a).await?;
        } else if a.kind() == "Undo" && a.object_kind() == Some("Follow") {
            engine.remove_follower(me.as_str(), &a.signer).await?;
        }
        Ok(())
    }
}

/// `path` on this server, from the engine's base URL (which always ends in one `/`).
pub(crate) fn at<T>(engine: &Engine, path: &str) -> Result<ObjectId<T>, Error> {
    ObjectId::parse(&format!("{}{path}", engine.config().base_url))
}

fn text(status: u16, body: impl Into<Bytes>) -> Response<Bytes> {
    let r = Response::builder().header("content-type", "text/plain");
    r.status(status).body(body.into()).unwrap_or_default()
}

/// Answers one request; `/publish` only for a peer on `loopback`.
pub(crate) async fn respond<B: Body<Error: Display>>(
    engine: &Engine,
    req: Request<B>,
    loopback: bool,
) -> Response<Full<Bytes>> {
    let res = route(engine, req, loopback).await;
    res.unwrap_or_else(|e| e.to_response()).map(Full::new)
}

async fn route(engine: &Engine, req: Request<impl Body<Error: Display>>, loopback: bool) -> Answer {
    let req = engine.collect_request(req).await?;
    let me = at::<Actor>(engine, "blog")?;
    Ok(match (req.method().as_str(), req.uri().path()) {
        ("GET", "/blog") => activity_response(&engine.local_person(&me, "blog").await?.build())?,
        ("GET", "/actor") => activity_response(&engine.instance_actor_document().await?)?,
        ("GET", "/.well-known/webfinger") => {
            let blog = AccountDescriptor::for_actor("blog", me.url().clone())?;
            respond_for_accounts(&req, &[blog]).map(Bytes::from)
        }
        ("POST", "/inbox") => engine.inbox(req, InboxTarget::Shared).await,
        ("POST", "/blog/inbox") => engine.inbox(req, InboxTarget::Actor(me.to_string())).await,
        ("POST", "/publish") if !loopback => text(403, "from this machine only\n"),
        ("POST", "/publish") => publish(engine, &me, &String::from_utf8_lossy(req.body())).await?,
        _ => text(404, "not found"),
    })
}

/// Posts `post` as a public Note to the blog's followers; answers 202 with the number of inboxes.
async fn publish(engine: &Engine, me: &ObjectId<Actor>, post: &str) -> Answer {
    let n = engine.now().as_unix_millis();
    let html = format!("<p>{}</p>", post.replace('&', "&amp;").replace('<', "&lt;"));
    let id = at(engine, &format!("posts/{n}"))?;
    let followers = format!("{me}/followers");
    let note = builder::NoteBuilder::new(id, me, &followers, html, Visibility::Public);
    let create = builder::create(&at(engine, &format!("posts/{n}/activity"))?, note.build());
    let create = serde_json::to_vec(&create)?;
    let to = Recipients::new().followers_of(me.as_str());
    let n = engine.deliver(&create, me, &to).await?.inboxes.len();
    Ok(text(202, format!("queued for {n} inboxes\n")))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base = std::env::args().nth(1);
    let config = EngineConfig::new(base.as_deref().unwrap_or("http://127.0.0.1:3000"))?;
    let net = transport::hyper::HyperTransport::builder();
    let net = Arc::new(net.allow_http(config.base_url.scheme() == "http").build()?);
    let store = Arc::new(fedi_storage::sled::SledStore::open("blog-data")?);
    let addr = config.base_url.socket_addrs(|| Some(80))?[0];
    let engine = Engine::builder(config).store(store).transport(net);
    let engine = engine.handler(Arc::new(Blog)).build().await?;
    let (me, key) = (at(&engine, "blog")?, KeyAlgorithm::Rsa2048);
    engine.create_local_actor(&me, key).await?;
    let (runner, tick) = (engine.clone(), std::time::Duration::from_millis(500));
    tokio::spawn(async move { runner.run(Shutdown::new(), tick).await });
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("blog at {me}");
    loop {
        let (stream, peer) = listener.accept().await?;
        let (engine, io) = (engine.clone(), hyper_util::rt::TokioIo::new(stream));
        let service = service_fn(move |req| {
            let engine = engine.clone();
            async move { Ok::<_, Infallible>(respond(&engine, req, peer.ip().is_loopback()).await) }
        });
        tokio::spawn(http1::Builder::new().serve_connection(io, service));
    }
}
