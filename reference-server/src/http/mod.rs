//! The HTTP server: hyper 1 on tokio, the router, federation endpoints, web pages, media
//! files, the loopback admin endpoint and graceful shutdown.
//!
//! [`Router`] answers one request whose body is already collected
//! ([`Router::handle`], what the in-process tests call); [`Router::handle_incoming`] is the
//! hyper side: it hands streaming requests and multipart media uploads (written to disk as
//! they arrive) to the client API untouched, collects every other
//! body under a size limit (the engine's for inboxes; `413` before reading past it) and calls
//! [`Router::handle`].
//! [`serve`] runs the accept loop with graceful shutdown.
//!
//! ```
//! use std::sync::Arc;
//!
//! use activitypub_core::engine::transport::memory::MemoryNetwork;
//! use fedi_storage::memory::MemoryStore;
//! use reference_server::{http::Router, App, Config};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let config = Config {
//!     base_url: "https://wool.example".into(),
//!     ..Config::default()
//! };
//! let app = App::new(config, Arc::new(MemoryStore::new()), Arc::new(MemoryNetwork::new())).await?;
//! app.create_account("alice", None, false).await?;
//! let router = Router::new(app);
//!
//! let request = http::Request::get("/.well-known/webfinger?resource=acct:alice@wool.example")
//!     .body(bytes::Bytes::new())?;
//! let response = router.handle(request, None).await;
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.headers()["content-type"], "application/jrd+json; charset=utf-8");
//!
//! // Content negotiation: the actor for ActivityPub clients, the profile page for browsers.
//! let request = http::Request::get("/users/alice")
//!     .header("accept", "application/activity+json")
//!     .body(bytes::Bytes::new())?;
//! let actor: serde_json::Value = serde_json::from_slice(router.handle(request, None).await.body())?;
//! assert_eq!(actor["inbox"], "https://wool.example/users/alice/inbox");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};

use crate::app::App;
use routes::{Api, Matched, Route, Site};

pub mod admin;
mod admin_accounts;
mod admin_lifecycle;
mod admin_moderation;
mod federation;
mod media;
mod pages;
pub(crate) mod routes;
mod signed;

/// The response body type of the server (and of the client API's streaming endpoints).
pub type Body = http_body_util::combinators::BoxBody<Bytes, Infallible>;

/// The largest request body collected for anything but an inbox (multipart media uploads are
/// streamed to disk instead, within the media limits). Inboxes take the engine's
/// [`max_body_bytes`](activitypub_core::engine::EngineConfig::max_body_bytes).
pub const MAX_BODY: usize = 16 << 20;

/// `Content-Type` of ActivityPub answers.
pub const AP_CONTENT_TYPE: &str = "application/activity+json; charset=utf-8";
/// `Content-Type` of HTML answers.
pub const HTML_CONTENT_TYPE: &str = "text/html; charset=utf-8";
/// `Content-Type` of JSON answers.
pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// The server's request router. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Router {
    app: App,
}

impl Router {
    /// A router over an instance.
    pub fn new(app: App) -> Self {
        Router { app }
    }

    /// The instance.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// Answers a request from hyper: streaming endpoints get the raw request, and so do
    /// multipart media uploads (their files are written to the work directory as they
    /// arrive); inbox bodies are
    /// collected by the engine ([`Engine::collect_request`], under its
    /// [`max_body_bytes`](activitypub_core::engine::EngineConfig::max_body_bytes)), other
    /// bodies under [`MAX_BODY`]; `413` before reading past the limit.
    ///
    /// [`Engine::collect_request`]: activitypub_core::engine::Engine::collect_request
    pub async fn handle_incoming(
        &self,
        request: Request<hyper::body::Incoming>,
        peer: SocketAddr,
    ) -> Response<Body> {
        let mut request = request;
        request.extensions_mut().insert(crate::limits::Peer(peer));
        let path = request.uri().path().to_owned();
        let route = routes::lookup(&path).map(|m| m.route);
        if route == Some(Route::Streaming) {
            return match crate::api::streaming(&self.app, request).await {
                Some(r) => r,
                None => boxed(not_found_json()),
            };
        }
        if let Some(m) = routes::lookup(&path) {
            if let Route::Api(api) = m.route {
                let (parts, body) = request.into_parts();
                if crate::api::streams_upload(api, &parts) {
                    let request = Request::from_parts(parts, body);
                    let mut response =
                        crate::api::answer_streamed(&self.app, request, api, &m).await;
                    routes::allow_cross_origin(&mut response);
                    return boxed(response);
                }
                return self
                    .collect_and_handle(Request::from_parts(parts, body), peer, route, path)
                    .await;
            }
        }
        self.collect_and_handle(request, peer, route, path).await
    }

    /// [`Router::handle_incoming`] for a request whose body is collected.
    async fn collect_and_handle(
        &self,
        request: Request<hyper::body::Incoming>,
        peer: SocketAddr,
        route: Option<Route>,
        path: String,
    ) -> Response<Body> {
        let expects_continue = request
            .headers()
            .get(header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        let declared = content_length(request.headers());
        // The body is lent to the collector, so that what a refused request still sends can be
        // read after the answer (see `after_too_large`).
        let (parts, mut body) = request.into_parts();
        let lent = Request::from_parts(parts, &mut body);
        let inbox = matches!(
            route,
            Some(Route::Site(Site::SharedInbox | Site::UserInbox))
        );
        let collected = if inbox {
            self.app
                .engine()
                .collect_request(lent)
                .await
                .map_err(|e| e.to_response())
        } else {
            collect(lent, MAX_BODY).await
        };
        let request = match collected {
            Ok(r) => r,
            Err(refused) if refused.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                // A body with a length over the limit was refused from the length alone, before
                // any of it was read.
                return boxed(after_too_large(refused, body, expects_continue, declared));
            }
            Err(refused) => return boxed(refused),
        };
        let start = std::time::Instant::now();
        let method = request.method().clone();
        let response = self.handle(request, Some(peer)).await;
        tracing::debug!(
            %method,
            path = %path,
            status = response.status().as_u16(),
            micros = start.elapsed().as_micros() as u64,
            "request"
        );
        boxed(response)
    }

    /// Answers a request whose body is collected. `peer` is the client's address, if known
    /// (the rate limits per address count by it).
    ///
    /// The path is looked up in the one route table (`http::routes`); the CORS step applies to
    /// every answer on a cross-origin path (preflights included), whichever layer answered.
    pub async fn handle(
        &self,
        mut request: Request<Bytes>,
        peer: Option<SocketAddr>,
    ) -> Response<Bytes> {
        if let Some(peer) = peer {
            request.extensions_mut().insert(crate::limits::Peer(peer));
        }
        respond(&self.app, request).await
    }
}

/// What [`Router::handle`] does: looks the path up in the one route table ([`routes`]), has the
/// page, federation or API layer answer, and applies the CORS step to every answer on a
/// cross-origin path (preflights included). `api::handle` answers through it too.
pub(crate) async fn respond(app: &App, request: Request<Bytes>) -> Response<Bytes> {
    let path = request.uri().path().to_owned();
    let cross_origin = routes::is_cross_origin(&path);
    if cross_origin && request.method() == Method::OPTIONS {
        return routes::cors_preflight(request.headers());
    }
    let mut response = match routes::lookup(&path) {
        Some(m) => match m.route {
            Route::Site(s) => site(app, request, s, &m).await,
            Route::Api(api) => crate::api::answer(app, &request, api, &m).await,
            // Streaming needs the raw request (`handle_incoming`); collected, it has no
            // endpoint.
            Route::Streaming => crate::api::answer(app, &request, Api::Unknown, &m).await,
        },
        None => other_method_or_not_found(request.method()),
    };
    if cross_origin {
        routes::allow_cross_origin(&mut response);
    }
    response
}

/// A page or federation endpoint; a method it does not take gets `405` (other than GET, HEAD
/// and POST) or the not-found page.
async fn site(app: &App, request: Request<Bytes>, site: Site, m: &Matched) -> Response<Bytes> {
    {
        let f = federation::Federation::new(app);
        let get = matches!(*request.method(), Method::GET | Method::HEAD);
        let post = request.method() == Method::POST;
        let (name, id) = (m.param("name"), m.param("id"));
        let activity = wants_activity_json(request.headers());
        match (site, get, post) {
            (Site::Home, true, _) => pages::home(app).await,
            (Site::WebFinger, _, _) => f.webfinger(&request).await,
            (Site::HostMeta, true, _) => f.host_meta(false),
            (Site::HostMetaJson, true, _) => f.host_meta(true),
            (Site::NodeinfoDiscovery, true, _) => f.nodeinfo_discovery(),
            (Site::Nodeinfo, true, _) if matches!(m.param("version"), "2.0" | "2.1") => {
                f.nodeinfo(m.param("version")).await
            }
            (Site::InstanceActor, true, _) => f.instance_actor().await,
            (Site::InstanceOutbox, true, _) => f.instance_outbox(),
            (Site::SharedInbox, _, true) => f.shared_inbox(request).await,
            (Site::User | Site::AtUser, true, _) if activity => f.actor(&request, name).await,
            (Site::User | Site::AtUser, true, _) => {
                pages::profile(app, name, request.uri().query()).await
            }
            (Site::UserInbox, _, true) => f.actor_inbox(request, name).await,
            (Site::UserOutbox, true, _) => f.outbox(&request, name).await,
            (Site::UserFollowers, true, _) => f.follows(&request, name, "followers").await,
            (Site::UserFollowing, true, _) => f.follows(&request, name, "following").await,
            (Site::UserFeatured, true, _) => f.featured(&request, name).await,
            (Site::UserStatus | Site::AtUserStatus, true, _) if activity => {
                f.status(&request, name, id, false).await
            }
            (Site::UserStatus | Site::AtUserStatus, true, _) => pages::status(app, name, id).await,
            (Site::UserStatusActivity, true, _) => f.status(&request, name, id, true).await,
            (Site::QuoteAuthorization, true, _) => {
                f.quote_authorization(name, id, m.param("qid")).await
            }
            (Site::Tag, true, _) => pages::tag(app, m.param("tag")).await,
            (Site::Media, true, _) => media::serve(app, &request, m.param("key")).await,
            (Site::Emoji, true, _) => f.emoji(&request, m.param("shortcode")).await,
            (Site::MissingAvatar, true, _) => media::missing(&request, true),
            (Site::MissingHeader, true, _) => media::missing(&request, false),
            _ => other_method_or_not_found(request.method()),
        }
    }
}

/// `405` for a method other than GET, HEAD and POST; the not-found page otherwise.
fn other_method_or_not_found(method: &Method) -> Response<Bytes> {
    if matches!(*method, Method::GET | Method::HEAD | Method::POST) {
        return pages::not_found();
    }
    let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD, POST"));
    r
}

/// Collects the body of `request`, at most `limit` bytes: `413` from `Content-Length` before
/// reading, or once the limit is passed; `400` when the body cannot be read.
async fn collect<B>(request: Request<B>, limit: usize) -> Result<Request<Bytes>, Response<Bytes>>
where
    B: hyper::body::Body,
    B::Error: std::fmt::Display,
{
    if content_length(request.headers()).is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let (parts, body) = request.into_parts();
    let body = Limited::new(body.map_err(|e| e.to_string()), limit);
    match body.collect().await {
        Ok(c) => Ok(Request::from_parts(parts, c.to_bytes())),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(too_large(limit))
        }
        Err(e) => {
            tracing::debug!(error = %e, "request body could not be read");
            Err(json_error(StatusCode::BAD_REQUEST, "bad request body"))
        }
    }
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// How much of a refused body is still read after a `413` (and thrown away).
const DRAIN_MAX_BYTES: u64 = 8 << 20;
/// How long a refused body may take to arrive, in all and between two reads.
const DRAIN_TIME: Duration = Duration::from_secs(10);
const DRAIN_IDLE: Duration = Duration::from_secs(2);

/// The `413` for a body refused before it was read to its end. A client usually sends the
/// whole body before it reads the answer; if the connection were closed with the rest of the
/// body unread, the kernel would answer it with a reset, and the client would see a network
/// error instead of the `413` (and retry, for days). So the answer says `Connection: close`,
/// and what is left of the body is read and thrown away after it — at most
/// [`DRAIN_MAX_BYTES`], within [`DRAIN_TIME`], with at most [`DRAIN_IDLE`] between reads —
/// on a task of its own; hyper closes the connection once the answer is written and the body
/// read (or given up). `unread` is the body's length when none of it was read; a body known
/// to be longer than the bound is not read at all, and neither is that of a client waiting
/// for `100 Continue` (it has sent none).
fn after_too_large(
    mut response: Response<Bytes>,
    body: hyper::body::Incoming,
    expects_continue: bool,
    unread: Option<u64>,
) -> Response<Bytes> {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    if !expects_continue && unread.is_none_or(|n| n <= DRAIN_MAX_BYTES) {
        tokio::spawn(drain(body));
    }
    response
}

/// Reads and drops `body` within the bounds of [`after_too_large`].
async fn drain(mut body: hyper::body::Incoming) {
    let deadline = tokio::time::Instant::now() + DRAIN_TIME;
    let mut read = 0u64;
    while read <= DRAIN_MAX_BYTES {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            break;
        }
        match tokio::time::timeout(left.min(DRAIN_IDLE), body.frame()).await {
            Ok(Some(Ok(frame))) => {
                read += frame.data_ref().map_or(0, |d| d.len() as u64);
            }
            // The end of the body, a broken body, or a client too slow.
            _ => break,
        }
    }
}

/// Whether the `Accept` header asks for ActivityStreams JSON (`application/activity+json`,
/// `application/ld+json`, or plain `application/json`).
pub fn wants_activity_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .any(|m| {
            matches!(
                m.as_str(),
                "application/activity+json" | "application/ld+json" | "application/json"
            )
        })
}

/// Turns a collected response into the server's body type.
pub fn boxed(r: Response<Bytes>) -> Response<Body> {
    r.map(|b| Full::new(b).boxed())
}

pub(crate) fn response(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Bytes> {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

pub(crate) fn text(status: StatusCode, body: &str) -> Response<Bytes> {
    response(status, "text/plain; charset=utf-8", body.to_owned())
}

pub(crate) fn json_error(status: StatusCode, message: &str) -> Response<Bytes> {
    response(
        status,
        JSON_CONTENT_TYPE,
        serde_json::json!({ "error": message }).to_string(),
    )
}

/// Mastodon's JSON 404.
pub(crate) fn not_found_json() -> Response<Bytes> {
    json_error(StatusCode::NOT_FOUND, "Record not found")
}

fn too_large(limit: usize) -> Response<Bytes> {
    json_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("request body larger than {limit} bytes"),
    )
}

/// Runs an accept loop on `listener` until `shutdown` completes, each connection served by
/// hyper's HTTP/1.1 with `handler`. On shutdown: stop accepting, let connections finish their
/// in-flight requests (idle keep-alive connections close at once), and after `grace` drop what
/// is left.
pub async fn serve<H, Fut, S>(
    listener: tokio::net::TcpListener,
    handler: H,
    shutdown: S,
    grace: Duration,
) where
    H: Fn(Request<hyper::body::Incoming>, SocketAddr) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
    S: Future<Output = ()>,
{
    use hyper_util::rt::{TokioIo, TokioTimer};
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let handler = handler.clone();
                let mut stop = stop_rx.clone();
                tasks.spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let handler = handler.clone();
                        async move { Ok::<_, Infallible>(handler(req, peer).await) }
                    });
                    let conn = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(Duration::from_secs(30))
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades();
                    tokio::pin!(conn);
                    tokio::select! {
                        r = conn.as_mut() => {
                            if let Err(e) = r {
                                tracing::debug!(error = %e, %peer, "connection ended with an error");
                            }
                        }
                        _ = stop.changed() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
                    }
                });
            }
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained =
        tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(
            connections = tasks.len(),
            "connections still open after the grace period; closing them"
        );
        tasks.abort_all();
    }
}
