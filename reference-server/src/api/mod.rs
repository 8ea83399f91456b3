//! The Mastodon client API and OAuth 2, so that Mastodon apps (Mastodon.py, toot, masto.js,
//! Elk, Tusky …) sign in to Woolly and toot.
//!
//! - [`oauth`]: applications, the sign-in and consent page, authorization codes with PKCE
//!   (S256), the `authorization_code`, `client_credentials` and (when
//!   [`password_grant`](crate::Config::password_grant) is on) `password` grants, revocation,
//!   RFC 8414 metadata. Tokens are stored as SHA-256 digests.
//! - Endpoints under `/api/v1` and `/api/v2` with Mastodon's paths, parameters and JSON
//!   shapes; ids are strings; lists page with `max_id` / `since_id` / `min_id` and `Link`
//!   headers; errors are `{"error": …}`; every answer carries CORS headers.
//! - Streaming ([`mod@streaming`]): server-sent events and WebSocket.
//!
//! [`handle`] takes a request whose body is already collected, so it can be called in
//! process:
//!
//! ```
//! # use std::sync::Arc;
//! # use activitypub_core::engine::transport::memory::MemoryNetwork;
//! # use bytes::Bytes;
//! # use fedi_storage::memory::MemoryStore;
//! # use reference_server::{App, Config};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config { base_url: "https://wool.example".into(), ..Config::default() };
//! let app = App::new(config, Arc::new(MemoryStore::new()), Arc::new(MemoryNetwork::new())).await?;
//! let alice = app.create_account("alice", Some("correct horse"), false).await?;
//! let token = reference_server::api::create_token(&app, alice.id, "read write").await?;
//!
//! let request = http::Request::post("/api/v1/statuses")
//!     .header("authorization", format!("Bearer {token}"))
//!     .header("content-type", "application/json")
//!     .body(Bytes::from_static(br#"{"status": "Hello, #fediverse!"}"#))?;
//! let response = reference_server::api::handle(&app, &request).await.expect("an API path");
//! assert_eq!(response.status(), 200);
//! let status: serde_json::Value = serde_json::from_slice(response.body())?;
//! assert_eq!(status["tags"][0]["name"], "fediverse");
//! assert_eq!(status["account"]["acct"], "alice");
//! # Ok(()) }
//! ```

use bytes::Bytes;
use http::{header, Method, Response, StatusCode};
use serde_json::json;

use crate::app::App;

mod accounts;
mod entities;
mod instance;
mod multipart;
pub mod oauth;
mod search;
mod statuses;
pub mod streaming;
mod timelines;
mod util;

pub use streaming::streaming;

use oauth::Token;
use util::{cors, ok, ApiError, ApiResult, Params};

/// What a request brings: the app, the request, its parameters and its token.
pub(crate) struct Ctx<'a> {
    pub(crate) app: &'a App,
    pub(crate) req: &'a http::Request<Bytes>,
    pub(crate) p: Params,
    pub(crate) token: Option<Token>,
    /// An `Authorization` header was sent but names no token.
    pub(crate) bad_token: bool,
}

impl Ctx<'_> {
    /// The token, which must allow `scope`.
    pub(crate) fn token(&self, scope: &str) -> Result<&Token, ApiError> {
        let t = self.token.as_ref().ok_or_else(ApiError::invalid_token)?;
        if !t.allows(scope) {
            return Err(ApiError::out_of_scope(scope));
        }
        Ok(t)
    }
    /// The signed-in account, whose token must allow `scope`.
    pub(crate) fn user(&self, scope: &str) -> Result<u64, ApiError> {
        self.token(scope)?
            .account_id
            .ok_or_else(ApiError::needs_user)
    }
    /// The signed-in account if a token was sent (which must then allow `scope`).
    pub(crate) fn viewer(&self, scope: &str) -> Result<Option<u64>, ApiError> {
        if self.bad_token {
            return Err(ApiError::invalid_token());
        }
        match &self.token {
            None => Ok(None),
            Some(t) if !t.allows(scope) => Err(ApiError::out_of_scope(scope)),
            Some(t) => Ok(t.account_id),
        }
    }
    /// The request path.
    pub(crate) fn path(&self) -> &str {
        self.req.uri().path()
    }
    /// A response with a `Link` header for `page`.
    pub(crate) fn paged(&self, body: serde_json::Value, page: &fedi_storage::Page) -> ApiResult {
        let mut resp = ok(body)?;
        util::link_header(
            &mut resp,
            self.app.base(),
            self.path(),
            self.req.uri().query(),
            page,
        );
        Ok(resp)
    }
}

fn is_ours(path: &str) -> bool {
    path == "/api"
        || path.starts_with("/api/")
        || path.starts_with("/oauth/")
        || path == "/.well-known/oauth-authorization-server"
}

/// Answers a request under `/api/`, `/oauth/` or `/.well-known/oauth-authorization-server`
/// (the body already collected); `None` if the path is not the API's.
pub async fn handle(app: &App, request: &http::Request<Bytes>) -> Option<Response<Bytes>> {
    let path = request.uri().path();
    if !is_ours(path) {
        return None;
    }
    let cors_path = path.starts_with("/api/")
        || path == "/oauth/token"
        || path == "/oauth/revoke"
        || path.starts_with("/.well-known/");
    let mut resp = if request.method() == Method::OPTIONS {
        let mut r = Response::new(Bytes::new());
        *r.status_mut() = StatusCode::NO_CONTENT;
        r
    } else {
        match dispatch(app, request).await {
            Ok(r) => r,
            Err(e) => e.into_response(),
        }
    };
    if cors_path {
        cors(&mut resp);
    }
    Some(resp)
}

async fn dispatch(app: &App, req: &http::Request<Bytes>) -> ApiResult {
    let p = Params::from_request(req).await?;
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let (token, bad_token) = match auth {
        Some(v) if v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer ") => {
            match oauth::lookup_token(app, v[7..].trim()).await? {
                Some(t) => (Some(t), false),
                None => (None, true),
            }
        }
        // HTTP Basic is client authentication at /oauth/*; anything else is no token.
        Some(v) if v.to_ascii_lowercase().starts_with("basic ") => (None, false),
        Some(_) => (None, true),
        None => (None, false),
    };
    let path = req.uri().path().trim_end_matches('/').to_owned();
    let segs: Vec<&str> = path.split('/').skip(1).collect();
    let ctx = Ctx {
        app,
        req,
        p,
        token,
        bad_token,
    };
    let m = req.method().clone();
    // OAuth and discovery.
    match (&m, segs.as_slice()) {
        (&Method::GET, [".well-known", "oauth-authorization-server"]) => {
            return oauth::metadata(app)
        }
        (&Method::GET, ["oauth", "authorize"]) => return oauth::authorize_page(app, &ctx.p).await,
        (&Method::POST, ["oauth", "authorize"]) => {
            return oauth::authorize_submit(app, &ctx.p).await
        }
        (&Method::POST, ["oauth", "token"]) => return oauth::token(app, req, &ctx.p).await,
        (&Method::POST, ["oauth", "revoke"]) => return oauth::revoke(app, req, &ctx.p).await,
        (_, ["oauth", ..]) | (_, [".well-known", ..]) => {
            return Err(ApiError::new(StatusCode::NOT_FOUND, "Not found"))
        }
        _ => {}
    }
    let rest: &[&str] = match segs.as_slice() {
        ["api", "v1", rest @ ..] => rest,
        ["api", "v2", rest @ ..] => return v2(&ctx, &m, rest).await,
        _ => return Err(ApiError::new(StatusCode::NOT_FOUND, "Not found")),
    };
    v1(&ctx, &m, rest).await
}

async fn v2(ctx: &Ctx<'_>, m: &Method, rest: &[&str]) -> ApiResult {
    match (m, rest) {
        (&Method::GET, ["instance"]) => instance::v2(ctx).await,
        (&Method::GET, ["search"]) => search::search(ctx).await,
        (&Method::GET, ["notifications"]) => timelines::grouped_notifications(ctx).await,
        (&Method::GET, ["notifications", "unread_count"]) => timelines::unread_count(ctx).await,
        (&Method::GET, ["notifications", "policy"]) => timelines::notification_policy(ctx),
        (&Method::GET, ["filters"]) | (&Method::GET, ["suggestions"]) => {
            ctx.viewer("read")?;
            ok(json!([]))
        }
        (&Method::POST, ["media"]) => unsupported(
            ctx,
            "write:media",
            "Media uploads are not supported by this server",
        ),
        _ => Err(ApiError::new(StatusCode::NOT_FOUND, "Not found")),
    }
}

fn unsupported(ctx: &Ctx<'_>, scope: &str, what: &str) -> ApiResult {
    ctx.user(scope)?;
    Err(ApiError::unprocessable(what))
}

async fn v1(ctx: &Ctx<'_>, m: &Method, rest: &[&str]) -> ApiResult {
    use Method as M;
    match (m, rest) {
        // Apps.
        (&M::POST, ["apps"]) => oauth::create_app(ctx.app, &ctx.p).await,
        (&M::GET, ["apps", "verify_credentials"]) => {
            if ctx.bad_token {
                return Err(ApiError::invalid_token());
            }
            let t = ctx.token.as_ref().ok_or_else(ApiError::invalid_token)?;
            oauth::verify_app(ctx.app, t).await
        }
        // Instance.
        (&M::GET, ["instance"]) => instance::v1(ctx).await,
        (&M::GET, ["instance", "peers"]) => ok(json!([])),
        (&M::GET, ["instance", "activity"]) => ok(json!([])),
        (&M::GET, ["instance", "rules"]) => ok(json!([])),
        (&M::GET, ["instance", "extended_description"]) => instance::extended_description(ctx),
        (&M::GET, ["instance", "domain_blocks"]) => ok(json!([])),
        (&M::GET, ["instance", "translation_languages"]) => ok(json!({})),
        (&M::GET, ["instance", "languages"]) => ok(json!([{"code": "en", "name": "English"}])),
        (&M::GET, ["custom_emojis"]) => ok(json!([])),
        (&M::GET, ["preferences"]) => instance::preferences(ctx),
        // Accounts.
        (&M::GET, ["accounts", "verify_credentials"]) => accounts::verify_credentials(ctx).await,
        (&M::PATCH, ["accounts", "update_credentials"])
        | (&M::PUT, ["accounts", "update_credentials"]) => accounts::update_credentials(ctx).await,
        (&M::GET, ["accounts", "relationships"]) => accounts::relationships(ctx).await,
        (&M::GET, ["accounts", "lookup"]) => accounts::lookup(ctx).await,
        (&M::GET, ["accounts", "search"]) => accounts::search(ctx).await,
        (&M::GET, ["accounts", "familiar_followers"]) => {
            ctx.user("read:follows")?;
            ok(json!([]))
        }
        (&M::POST, ["accounts"]) => accounts::register(ctx).await,
        (&M::GET, ["accounts"]) => accounts::many(ctx).await,
        (&M::GET, ["accounts", id]) => accounts::get(ctx, id).await,
        (&M::GET, ["accounts", id, "statuses"]) => accounts::statuses(ctx, id).await,
        (&M::GET, ["accounts", id, "followers"]) => accounts::followers(ctx, id, true).await,
        (&M::GET, ["accounts", id, "following"]) => accounts::followers(ctx, id, false).await,
        (&M::GET, ["accounts", id, "featured_tags"]) | (&M::GET, ["accounts", id, "lists"]) => {
            ctx.viewer("read:accounts")?;
            let _ = id;
            ok(json!([]))
        }
        (&M::POST, ["accounts", id, action]) => accounts::action(ctx, id, action).await,
        // Follow requests.
        (&M::GET, ["follow_requests"]) => timelines::follow_requests(ctx).await,
        (&M::POST, ["follow_requests", id, "authorize"]) => {
            timelines::follow_request_decide(ctx, id, true).await
        }
        (&M::POST, ["follow_requests", id, "reject"]) => {
            timelines::follow_request_decide(ctx, id, false).await
        }
        // Blocks and mutes.
        (&M::GET, ["blocks"]) => timelines::blocks_or_mutes(ctx, true).await,
        (&M::GET, ["mutes"]) => timelines::blocks_or_mutes(ctx, false).await,
        // Statuses.
        (&M::POST, ["statuses"]) => statuses::create(ctx).await,
        (&M::GET, ["statuses"]) => statuses::many(ctx).await,
        (&M::GET, ["statuses", id]) => statuses::get(ctx, id).await,
        (&M::DELETE, ["statuses", id]) => statuses::delete(ctx, id).await,
        (&M::PUT, ["statuses", id]) => statuses::edit(ctx, id).await,
        (&M::GET, ["statuses", id, "context"]) => statuses::context(ctx, id).await,
        (&M::GET, ["statuses", id, "favourited_by"]) => statuses::who(ctx, id, true).await,
        (&M::GET, ["statuses", id, "reblogged_by"]) => statuses::who(ctx, id, false).await,
        (&M::GET, ["statuses", id, "history"]) => statuses::history(ctx, id).await,
        (&M::GET, ["statuses", id, "source"]) => statuses::source(ctx, id).await,
        (&M::GET, ["statuses", id, "card"]) => {
            statuses::get(ctx, id).await?;
            ok(json!({}))
        }
        (&M::POST, ["statuses", id, action]) => statuses::action(ctx, id, action).await,
        // Timelines.
        (&M::GET, ["timelines", "home"]) => timelines::home(ctx).await,
        (&M::GET, ["timelines", "public"]) => timelines::public(ctx).await,
        (&M::GET, ["timelines", "tag", tag]) => timelines::tag(ctx, tag).await,
        (&M::GET, ["timelines", "list", _]) => {
            ctx.user("read:lists")?;
            Err(ApiError::not_found())
        }
        (&M::GET, ["favourites"]) => timelines::favourites(ctx).await,
        // Notifications.
        (&M::GET, ["notifications"]) => timelines::notifications(ctx).await,
        (&M::GET, ["notifications", "unread_count"]) => timelines::unread_count(ctx).await,
        (&M::GET, ["notifications", "policy"]) => timelines::notification_policy(ctx),
        (&M::GET, ["notifications", "requests"]) => {
            ctx.user("read:notifications")?;
            ok(json!([]))
        }
        (&M::POST, ["notifications", "clear"]) => timelines::clear(ctx).await,
        (&M::GET, ["notifications", id]) => timelines::notification(ctx, id).await,
        (&M::POST, ["notifications", id, "dismiss"]) => timelines::dismiss(ctx, id).await,
        (&M::POST, ["notifications", "dismiss"]) => {
            let id = ctx.p.str("id").unwrap_or_default();
            timelines::dismiss(ctx, &id).await
        }
        // Search (v1 is gone in Mastodon; answer as v2 does).
        (&M::GET, ["search"]) => search::search(ctx).await,
        // Tags.
        (&M::GET, ["tags", tag]) => {
            let viewer = ctx.viewer("read")?;
            ok(entities::tag(ctx.app, tag, viewer.map(|_| false)))
        }
        // What Woolly does not do: as an empty account answers, or a JSON error.
        (&M::GET, ["lists"])
        | (&M::GET, ["filters"])
        | (&M::GET, ["bookmarks"])
        | (&M::GET, ["conversations"])
        | (&M::GET, ["domain_blocks"])
        | (&M::GET, ["endorsements"])
        | (&M::GET, ["featured_tags"])
        | (&M::GET, ["followed_tags"])
        | (&M::GET, ["scheduled_statuses"])
        | (&M::GET, ["announcements"])
        | (&M::GET, ["suggestions"])
        | (&M::GET, ["featured_tags", "suggestions"]) => {
            ctx.user("read")?;
            ok(json!([]))
        }
        (&M::GET, ["markers"]) => {
            ctx.user("read:statuses")?;
            ok(json!({}))
        }
        (&M::POST, ["markers"]) => {
            ctx.user("write:statuses")?;
            ok(json!({}))
        }
        (&M::GET, ["trends"])
        | (&M::GET, ["trends", "tags"])
        | (&M::GET, ["trends", "statuses"])
        | (&M::GET, ["trends", "links"])
        | (&M::GET, ["directory"]) => ok(json!([])),
        (&M::GET, ["push", "subscription"]) => {
            ctx.token("push")?;
            Err(ApiError::not_found())
        }
        (&M::POST, ["push", "subscription"]) => {
            ctx.token("push")?;
            Err(ApiError::unprocessable(
                "Web Push is not supported by this server",
            ))
        }
        (&M::POST, ["media"]) | (&M::PUT, ["media", _]) => unsupported(
            ctx,
            "write:media",
            "Media uploads are not supported by this server",
        ),
        (&M::POST, ["lists"]) => {
            unsupported(ctx, "write:lists", "Lists are not supported by this server")
        }
        (&M::POST, ["filters"]) => unsupported(
            ctx,
            "write:filters",
            "Filters are not supported by this server",
        ),
        (&M::POST, ["reports"]) => unsupported(
            ctx,
            "write:reports",
            "Reports are not supported by this server",
        ),
        (&M::GET, ["polls", _]) => Err(ApiError::not_found()),
        _ => Err(ApiError::new(StatusCode::NOT_FOUND, "Not found")),
    }
}

/// Creates a bearer token for local account `account_id` with `scopes` (space-separated),
/// for `woolly token create`; returns the token.
pub async fn create_token(
    app: &App,
    account_id: u64,
    scopes: &str,
) -> Result<String, crate::Error> {
    let account = app.account(account_id).await?;
    if !account.is_local() {
        return Err(crate::Error::Forbidden(format!(
            "{} is not a local account",
            account.acct()
        )));
    }
    let scopes = oauth::parse_scopes(scopes).map_err(crate::Error::BadRequest)?;
    let (token, _) = oauth::issue_token(app, None, Some(account_id), &scopes).await?;
    Ok(token)
}
