//! The streaming API: server-sent events at `/api/v1/streaming/{user, user/notification,
//! public, public/local, public/remote, hashtag, hashtag/local, list, direct}` and a WebSocket at
//! `/api/v1/streaming` (streams chosen with `?stream=` or `{"type": "subscribe", …}`
//! messages), carrying `update`, `notification`, `delete`, `status.update` and
//! `conversation` events from
//! [`App::subscribe`].
//!
//! The access token comes from `Authorization: Bearer`, the `access_token` query parameter or
//! the `Sec-WebSocket-Protocol` header, as Mastodon's streaming server takes it.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use http::{header, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use serde_json::{json, Value};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::protocol::{Message, Role};

use super::entities;
use super::oauth::{lookup_token, Token};
use crate::app::filters::FilterContext;
use crate::app::{App, Event};
pub use crate::http::Body;

/// How often an idle server-sent-events stream gets a comment line (keeps proxies open).
pub const HEARTBEAT: Duration = Duration::from_secs(30);

/// One subscribed stream, by Mastodon's name (`user`, `public:local`, `hashtag` …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stream {
    /// The stream's name.
    pub name: String,
    /// The hashtag (lowercased, for `hashtag` and `hashtag:local`).
    pub tag: Option<String>,
    /// The list (for `list`; the subscriber's own, checked when subscribing).
    pub list: Option<u64>,
}

impl Stream {
    /// Parses a stream name and its parameter (the tag of `hashtag` streams, the list id of
    /// `list`); `None` for unknown or unsupported streams, or a missing parameter.
    pub fn parse(name: &str, tag: Option<&str>) -> Option<Stream> {
        let name = name.replace('/', ":");
        let known = matches!(
            name.as_str(),
            "user"
                | "user:notification"
                | "public"
                | "public:local"
                | "public:remote"
                | "hashtag"
                | "hashtag:local"
                | "list"
                | "direct"
        );
        if !known {
            return None;
        }
        if name == "list" {
            let list = tag?.trim().parse().ok()?;
            return Some(Stream {
                name,
                tag: None,
                list: Some(list),
            });
        }
        let tag = if name.starts_with("hashtag") {
            let t = tag?.trim_start_matches('#').to_lowercase();
            if t.is_empty() {
                return None;
            }
            Some(t)
        } else {
            None
        };
        Some(Stream {
            name,
            tag,
            list: None,
        })
    }
    fn needs_user(&self) -> bool {
        self.name.starts_with("user") || self.name == "list" || self.name == "direct"
    }
    /// Mastodon's `stream` field of a WebSocket message.
    fn label(&self) -> Value {
        match (&self.tag, self.list) {
            (Some(t), _) => json!([self.name, t]),
            (None, Some(l)) => json!([self.name, l.to_string()]),
            (None, None) => json!([self.name]),
        }
    }
}

/// An event ready to send: its name, its payload (a JSON document as a string, or an id) and
/// the stream it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// `update`, `notification`, `delete`, `status.update` or `conversation`.
    pub event: &'static str,
    /// The payload.
    pub payload: String,
    /// The subscribed stream it matched.
    pub stream: Stream,
}

impl Outgoing {
    /// The server-sent-events frame.
    pub fn sse(&self) -> String {
        format!("event: {}\ndata: {}\n\n", self.event, self.payload)
    }
    /// The WebSocket text message.
    pub fn websocket(&self) -> String {
        json!({ "stream": self.stream.label(), "event": self.event, "payload": self.payload })
            .to_string()
    }
}

async fn visible_status(
    app: &App,
    status_id: u64,
    viewer: Option<u64>,
) -> Option<crate::app::Status> {
    let s = app.status(status_id).await.ok()?;
    if let Some(v) = viewer {
        if s.account_id != v
            && (app.blocks(v, s.account_id).await.ok()? || app.mutes(v, s.account_id).await.ok()?)
        {
            return None;
        }
        if !s.local {
            let author = app.account(s.account_id).await.ok()?;
            if app.blocks_domain_of(v, &author).await.ok()? {
                return None;
            }
        }
    }
    if !app.can_view(&s, viewer).await.ok()? {
        return None;
    }
    Some(s)
}

/// Whether subscribed stream `sub` takes an event published on `event_stream`.
/// `user:notification` takes none of these: it carries notifications only.
fn stream_matches(sub: &Stream, event_stream: &str, viewer: Option<u64>) -> bool {
    match sub.name.as_str() {
        "user" => viewer.is_some_and(|v| event_stream == format!("user:{v}")),
        "public" | "public:local" | "public:remote" => event_stream == sub.name,
        "hashtag" | "hashtag:local" => sub
            .tag
            .as_ref()
            .is_some_and(|t| event_stream == format!("hashtag:{t}")),
        "list" => sub
            .list
            .is_some_and(|l| event_stream == format!("list:{l}")),
        "direct" => viewer.is_some_and(|v| event_stream == format!("direct:{v}")),
        _ => false,
    }
}

/// What `event` becomes on the subscribed `streams` for `viewer` (at most one message per
/// event: the first stream that takes it).
pub async fn render(
    app: &App,
    viewer: Option<u64>,
    streams: &[Stream],
    event: &Event,
) -> Option<Outgoing> {
    match event {
        Event::Update { stream, status_id } | Event::StatusUpdate { stream, status_id } => {
            if !streams.iter().any(|s| stream_matches(s, stream, viewer)) {
                return None;
            }
            let s = visible_status(app, *status_id, viewer).await?;
            // As for `delete`: `hashtag:local` only for local statuses, and a subscription to
            // both `hashtag` and `hashtag:local` of one tag still hears a remote status on the
            // first.
            let sub = streams
                .iter()
                .find(|sub| {
                    stream_matches(sub, stream, viewer) && (s.local || sub.name != "hashtag:local")
                })?
                .clone();
            // Read in the stream's filter context: a filter that hides it there drops it.
            let context = match sub.name.as_str() {
                "user" | "list" => Some(FilterContext::Home),
                "direct" => None,
                _ => Some(FilterContext::Public),
            };
            let payload = entities::status_in(app, &s, viewer, context).await.ok()?;
            // A silenced account stays out of the public and hashtag streams (but its own).
            if (sub.name.starts_with("public") || sub.name.starts_with("hashtag"))
                && payload["account"]["limited"] == true
                && viewer.map(|v| v.to_string()).as_deref() != payload["account"]["id"].as_str()
            {
                return None;
            }
            let payload = payload.to_string();
            let name = if matches!(event, Event::Update { .. }) {
                "update"
            } else {
                "status.update"
            };
            Some(Outgoing {
                event: name,
                payload,
                stream: sub,
            })
        }
        Event::Delete {
            stream,
            status_id,
            local,
        } => {
            // Only streams that may have shown the status: never `user:notification`, and
            // the public and hashtag streams only for public statuses.
            let sub = streams
                .iter()
                .find(|s| {
                    stream_matches(s, stream, viewer) && (*local || s.name != "hashtag:local")
                })?
                .clone();
            Some(Outgoing {
                event: "delete",
                payload: status_id.to_string(),
                stream: sub,
            })
        }
        Event::Conversation {
            account_id,
            conversation_id,
        } => {
            if viewer != Some(*account_id) {
                return None;
            }
            let sub = streams.iter().find(|s| s.name == "direct")?.clone();
            let c = app.conversation(*account_id, *conversation_id).await.ok()?;
            let v = entities::conversation(app, &c).await.ok()?;
            Some(Outgoing {
                event: "conversation",
                payload: v.to_string(),
                stream: sub,
            })
        }
        Event::Notification {
            account_id,
            notification_id,
        } => {
            if viewer != Some(*account_id) {
                return None;
            }
            let sub = streams
                .iter()
                .find(|s| s.name == "user" || s.name == "user:notification")?
                .clone();
            let n = app.notification(*account_id, *notification_id).await.ok()?;
            let v = entities::notification(app, &n).await.ok()??;
            Some(Outgoing {
                event: "notification",
                payload: v.to_string(),
                stream: sub,
            })
        }
    }
}

fn error_response(status: StatusCode, message: &str) -> Response<Body> {
    let body = json!({ "error": message }).to_string();
    let mut r = Response::new(Full::new(Bytes::from(body)).boxed());
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

fn query_pairs(req: &Request<Incoming>) -> Vec<(String, String)> {
    req.uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn token_string(req: &Request<Incoming>, query: &[(String, String)]) -> Option<String> {
    if let Some(v) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer ") {
            return Some(v[7..].trim().to_owned());
        }
    }
    if let Some((_, t)) = query.iter().find(|(k, _)| k == "access_token") {
        return Some(t.clone());
    }
    req.headers()
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Answers a request under `/api/v1/streaming` (the raw request, so a WebSocket can be
/// upgraded); `None` if the path is not a streaming one.
pub async fn streaming(app: &App, mut req: Request<Incoming>) -> Option<Response<Body>> {
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let rest = path.strip_prefix("/api/v1/streaming")?;
    if !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let rest = rest.trim_start_matches('/');
    if rest == "health" {
        let mut r = Response::new(Full::new(Bytes::from_static(b"OK")).boxed());
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        return Some(r);
    }
    let query = query_pairs(&req);
    let token: Option<Token> = match token_string(&req, &query) {
        Some(t) => match lookup_token(app, &t).await {
            Ok(Some(tok)) if tok.blocked => {
                return Some(error_response(
                    StatusCode::FORBIDDEN,
                    "Your login is currently disabled",
                ))
            }
            Ok(Some(tok)) => Some(tok),
            Ok(None) => {
                return Some(error_response(
                    StatusCode::UNAUTHORIZED,
                    "The access token is invalid",
                ))
            }
            Err(e) => {
                tracing::warn!(error = %e, "streaming: token lookup failed");
                return Some(error_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal server error",
                ));
            }
        },
        None => None,
    };
    if let Some(t) = &token {
        if !(t.allows("read:statuses") || t.allows("read:notifications")) {
            return Some(error_response(
                StatusCode::FORBIDDEN,
                "This action is outside the authorized scopes",
            ));
        }
        if t.pending {
            return Some(error_response(
                StatusCode::FORBIDDEN,
                super::oauth::PENDING_APPROVAL,
            ));
        }
    }
    let viewer = token.as_ref().and_then(|t| t.account_id);
    let tag = query
        .iter()
        .find(|(k, _)| k == "tag" || k == "list")
        .map(|(_, v)| v.clone());
    let name = if rest.is_empty() {
        query
            .iter()
            .find(|(k, _)| k == "stream")
            .map(|(_, v)| v.clone())
    } else {
        Some(rest.to_owned())
    };
    let mut streams = Vec::new();
    if let Some(n) = &name {
        match Stream::parse(n, tag.as_deref()) {
            Some(s) => streams.push(s),
            None => {
                return Some(error_response(
                    StatusCode::BAD_REQUEST,
                    "Unknown stream type",
                ))
            }
        }
    }
    if streams.iter().any(Stream::needs_user) && viewer.is_none() {
        return Some(error_response(
            StatusCode::UNAUTHORIZED,
            "Missing access token",
        ));
    }
    for s in &streams {
        if !may_stream_list(app, s, viewer).await {
            return Some(error_response(
                StatusCode::UNAUTHORIZED,
                "Not authorized to stream this list",
            ));
        }
    }
    let is_ws = req
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if is_ws && rest.is_empty() {
        let Some(key) = req.headers().get(header::SEC_WEBSOCKET_KEY).cloned() else {
            return Some(error_response(
                StatusCode::BAD_REQUEST,
                "Sec-WebSocket-Key is missing",
            ));
        };
        let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
        let protocol = req.headers().get(header::SEC_WEBSOCKET_PROTOCOL).cloned();
        let on_upgrade = hyper::upgrade::on(&mut req);
        let rx = app.subscribe();
        let app = app.clone();
        tokio::spawn(async move {
            match on_upgrade.await {
                Ok(upgraded) => {
                    let io = hyper_util::rt::TokioIo::new(upgraded);
                    let ws =
                        tokio_tungstenite::WebSocketStream::from_raw_socket(io, Role::Server, None)
                            .await;
                    websocket_loop(app, viewer, streams, rx, ws).await;
                }
                Err(e) => tracing::info!(error = %e, "streaming: upgrade failed"),
            }
        });
        let mut r = Response::new(Full::new(Bytes::new()).boxed());
        *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let h = r.headers_mut();
        h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
        if let Ok(v) = HeaderValue::from_str(&accept) {
            h.insert(header::SEC_WEBSOCKET_ACCEPT, v);
        }
        if let Some(p) = protocol {
            h.insert(header::SEC_WEBSOCKET_PROTOCOL, p);
        }
        return Some(r);
    }
    if streams.is_empty() {
        return Some(error_response(
            StatusCode::BAD_REQUEST,
            "Unknown stream type",
        ));
    }
    Some(sse_response(app.clone(), viewer, streams))
}

/// A server-sent-events response for `streams` as `viewer` sees them. A task renders the
/// events; it ends when the client goes away.
pub fn sse_response(app: App, viewer: Option<u64>, streams: Vec<Stream>) -> Response<Body> {
    let mut rx = app.subscribe();
    let (mut tx, body_rx) = futures::channel::mpsc::channel::<String>(64);
    tokio::spawn(async move {
        // An opening comment, so clients see the stream is up at once.
        if tx.send(":)\n".to_owned()).await.is_err() {
            return;
        }
        loop {
            let frame = match tokio::time::timeout(HEARTBEAT, rx.recv()).await {
                Err(_) => ":thump\n".to_owned(),
                Ok(Ok(ev)) => match render(&app, viewer, &streams, &ev).await {
                    Some(out) => out.sse(),
                    None => continue,
                },
                Ok(Err(broadcast::error::RecvError::Lagged(n))) => {
                    tracing::info!(skipped = n, "streaming: slow client skipped events");
                    continue;
                }
                Ok(Err(broadcast::error::RecvError::Closed)) => return,
            };
            if tx.send(frame).await.is_err() {
                return;
            }
        }
    });
    let body = StreamBody::new(body_rx.map(|s| Ok::<_, Infallible>(Frame::data(Bytes::from(s)))));
    let mut r = Response::new(BodyExt::boxed(body));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    r
}

/// Whether `viewer` may subscribe to `s`: a `list` stream only to its own list (Mastodon's
/// streaming server refuses others with a 401).
async fn may_stream_list(app: &App, s: &Stream, viewer: Option<u64>) -> bool {
    match (s.list, viewer) {
        (None, _) => true,
        (Some(l), Some(v)) => app.list(v, l).await.is_ok(),
        (Some(_), None) => false,
    }
}

async fn subscription_change(
    app: &App,
    text: &str,
    streams: &mut Vec<Stream>,
    viewer: Option<u64>,
) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    let kind = v.get("type")?.as_str()?;
    let name = v.get("stream")?.as_str()?;
    // `list` comes as a string or a number.
    let list = v.get("list").map(|l| match l {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let tag = v
        .get("tag")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or(list);
    let Some(s) = Stream::parse(name, tag.as_deref()) else {
        return Some(json!({"error": "Unknown stream type", "status": 400}).to_string());
    };
    match kind {
        "subscribe" => {
            if s.needs_user() && viewer.is_none() {
                return Some(json!({"error": "Missing access token", "status": 401}).to_string());
            }
            if !may_stream_list(app, &s, viewer).await {
                return Some(
                    json!({"error": "Not authorized to stream this list", "status": 401})
                        .to_string(),
                );
            }
            if !streams.contains(&s) {
                streams.push(s);
            }
        }
        "unsubscribe" => streams.retain(|x| x != &s),
        _ => {}
    }
    None
}

async fn websocket_loop<S>(
    app: App,
    viewer: Option<u64>,
    mut streams: Vec<Stream>,
    mut rx: broadcast::Receiver<Event>,
    mut ws: tokio_tungstenite::WebSocketStream<S>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut ping = tokio::time::interval(HEARTBEAT);
    ping.tick().await;
    loop {
        tokio::select! {
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(t))) => {
                    if let Some(err) = subscription_change(&app, &t, &mut streams, viewer).await {
                        if ws.send(Message::Text(err)).await.is_err() {
                            return;
                        }
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            ev = rx.recv() => match ev {
                Ok(ev) => {
                    if streams.is_empty() {
                        continue;
                    }
                    if let Some(out) = render(&app, viewer, &streams, &ev).await {
                        if ws.send(Message::Text(out.websocket())).await.is_err() {
                            return;
                        }
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = ping.tick() => {
                if ws.send(Message::Ping(Vec::new())).await.is_err() {
                    return;
                }
            }
        }
    }
}
