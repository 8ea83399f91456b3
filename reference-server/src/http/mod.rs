//! The HTTP server: hyper 1 on tokio, the router, federation endpoints, web pages, the
//! loopback admin endpoint and graceful shutdown.
//!
//! [`Router`] answers one request whose body is already collected
//! ([`Router::handle`], what the in-process tests call); [`Router::handle_incoming`] is the
//! hyper side: it hands streaming requests to the client API untouched, collects every other
//! body under a size limit (`413` before reading past it) and calls [`Router::handle`].
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
mod federation;
mod pages;
pub(crate) mod routes;
mod signed;

/// The response body type of the server (and of the client API's streaming endpoints).
pub type Body = http_body_util::combinators::BoxBody<Bytes, Infallible>;

/// The largest request body an inbox takes (1 MiB, the engine's limit too).
pub const MAX_INBOX_BODY: usize = 1 << 20;
/// The largest request body anything else takes (media uploads through the client API).
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

    /// Answers a request from hyper: streaming endpoints get the raw request; other bodies are
    /// collected under [`MAX_INBOX_BODY`] (inboxes) or [`MAX_BODY`].
    pub async fn handle_incoming(
        &self,
        request: Request<hyper::body::Incoming>,
        peer: SocketAddr,
    ) -> Response<Body> {
        let path = request.uri().path().to_owned();
        if routes::lookup(&path).is_some_and(|m| m.route == Route::Streaming) {
            return match crate::api::streaming(&self.app, request).await {
                Some(r) => r,
                None => boxed(not_found_json()),
            };
        }
        let limit = if is_inbox_path(&path) {
            MAX_INBOX_BODY
        } else {
            MAX_BODY
        };
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return boxed(too_large(limit));
        }
        let (parts, body) = request.into_parts();
        let bytes = match Limited::new(body, limit).collect().await {
            Ok(c) => c.to_bytes(),
            Err(e) => {
                if e.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some()
                {
                    return boxed(too_large(limit));
                }
                tracing::debug!(error = %e, "request body could not be read");
                return boxed(json_error(StatusCode::BAD_REQUEST, "bad request body"));
            }
        };
        let start = std::time::Instant::now();
        let method = parts.method.clone();
        let response = self
            .handle(Request::from_parts(parts, bytes), Some(peer))
            .await;
        tracing::debug!(
            %method,
            path = %path,
            status = response.status().as_u16(),
            micros = start.elapsed().as_micros() as u64,
            "request"
        );
        boxed(response)
    }

    /// Answers a request whose body is collected. `peer` is the client's address, if known.
    ///
    /// The path is looked up in the one route table ([`routes`]); the CORS step applies to
    /// every answer on a cross-origin path (preflights included), whichever layer answered.
    pub async fn handle(
        &self,
        request: Request<Bytes>,
        peer: Option<SocketAddr>,
    ) -> Response<Bytes> {
        let _ = peer;
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
            (Site::Tag, true, _) => pages::tag(app, m.param("tag")).await,
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

fn is_inbox_path(path: &str) -> bool {
    path == "/inbox" || path == "/actor/inbox" || path.ends_with("/inbox")
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
