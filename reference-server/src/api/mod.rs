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
use crate::http::routes::{self, Api, Matched, Route};

mod accounts;
mod admin_accounts;
pub(crate) mod admin_domains;
mod conversations;
mod entities;
mod exports;
mod filters;
mod follows;
mod grouped_notifications;
mod imports;
mod instance;
mod lists;
mod markers;
mod media;
mod multipart;
mod notification_requests;
mod notifications;
pub mod oauth;
mod paging;
mod params;
mod polls;
mod rate_limits;
mod reports;
mod responses;
mod scheduled;
mod search;
mod secrets;
mod signup;
mod statuses;
pub mod streaming;
mod timelines;
pub(crate) mod token_access;

pub use signup::{approve_account, reject_account};
pub use streaming::streaming;

use oauth::Token;
use params::Params;
use responses::{ok, ApiError, ApiResult};

/// What a request brings: the app, the request, its parameters and its token.
pub(crate) struct Ctx<'a> {
    pub(crate) app: &'a App,
    pub(crate) req: &'a http::Request<Bytes>,
    pub(crate) p: Params,
    pub(crate) token: Option<Token>,
    /// An `Authorization` header was sent but names no token.
    pub(crate) bad_token: bool,
    /// Files of a streamed multipart body, by field name, written to the work directory
    /// as they arrived (taken by the endpoint that uses them).
    pub(crate) uploads: std::sync::Mutex<Vec<(String, crate::app::Upload)>>,
}

impl Ctx<'_> {
    /// The token, which must allow `scope`.
    pub(crate) fn token(&self, scope: &str) -> Result<&Token, ApiError> {
        let t = self.token.as_ref().ok_or_else(ApiError::invalid_token)?;
        if !t.allows(scope) {
            return Err(ApiError::out_of_scope(scope));
        }
        if t.pending {
            return Err(ApiError::pending_approval());
        }
        Ok(t)
    }
    /// The signed-in account, whose token must allow `scope`.
    pub(crate) fn user(&self, scope: &str) -> Result<u64, ApiError> {
        self.token(scope)?
            .account_id
            .ok_or_else(ApiError::needs_user)
    }
    /// The signed-in staff member of an admin endpoint, and their role: `403` unless the
    /// token allows `scope` (Mastodon's `admin:read`/`admin:write` or a sub-scope such as
    /// `admin:write:accounts`) and the role has permission `flag`
    /// ([`crate::app::roles::flags`]). The one gate of the admin API. The role is read at
    /// each request, so that a token outlives no demotion.
    pub(crate) async fn staff(
        &self,
        scope: &str,
        flag: u64,
    ) -> Result<(u64, crate::app::roles::Role), ApiError> {
        if self.bad_token {
            return Err(ApiError::invalid_token());
        }
        let me = self.user(scope)?;
        let role = self.app.account(me).await?.role;
        if !role.can(flag) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "This action is not allowed",
            ));
        }
        Ok((me, role))
    }
    /// The signed-in account if a token was sent (which must then allow `scope`).
    pub(crate) fn viewer(&self, scope: &str) -> Result<Option<u64>, ApiError> {
        if self.bad_token {
            return Err(ApiError::invalid_token());
        }
        match &self.token {
            None => Ok(None),
            Some(t) if !t.allows(scope) => Err(ApiError::out_of_scope(scope)),
            Some(t) if t.pending => Err(ApiError::pending_approval()),
            Some(t) => Ok(t.account_id),
        }
    }
    /// The request path.
    pub(crate) fn path(&self) -> &str {
        self.req.uri().path()
    }
    /// A response with a `Link` header for `page`; `body` a `Value` or a list of entities,
    /// serialized straight to bytes.
    pub(crate) fn paged(
        &self,
        body: impl serde::Serialize,
        page: &fedi_storage::Page,
    ) -> ApiResult {
        let mut resp = ok(body)?;
        paging::link_header(
            &mut resp,
            self.app.base(),
            self.path(),
            self.req.uri().query(),
            page,
        );
        Ok(resp)
    }
}

/// Answers a request under `/api`, `/oauth/` or `/.well-known/oauth-authorization-server` (the
/// body already collected), CORS included, as the server does; `None` if the path is not the
/// API's.
pub async fn handle(app: &App, request: &http::Request<Bytes>) -> Option<Response<Bytes>> {
    match routes::lookup(request.uri().path())?.route {
        Route::Site(_) => None,
        Route::Api(_) | Route::Streaming => {
            let mut copy = http::Request::new(request.body().clone());
            *copy.method_mut() = request.method().clone();
            *copy.uri_mut() = request.uri().clone();
            *copy.version_mut() = request.version();
            *copy.headers_mut() = request.headers().clone();
            *copy.extensions_mut() = request.extensions().clone();
            Some(crate::http::respond(app, copy).await)
        }
    }
}

/// Answers an API route of the route table (the CORS step is the caller's).
pub(crate) async fn answer(
    app: &App,
    request: &http::Request<Bytes>,
    route: Api,
    m: &Matched,
) -> Response<Bytes> {
    if request.method() == Method::OPTIONS {
        let mut r = Response::new(Bytes::new());
        *r.status_mut() = StatusCode::NO_CONTENT;
        return r;
    }
    let auth = match token_of(app, request).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let charge = match rate_limits::charge(app, request, route, auth.token.as_ref(), auth.key) {
        Ok(c) => c,
        Err(over) => return rate_limits::too_many(app, over),
    };
    let mut response = match dispatch(app, request, route, m, auth).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    rate_limits::finish(&charge, &mut response);
    response
}

async fn dispatch(
    app: &App,
    req: &http::Request<Bytes>,
    route: Api,
    m: &Matched,
    auth: Auth,
) -> ApiResult {
    let p = Params::from_request(req).await?;
    dispatch_with(app, req, route, m, p, auth, Vec::new()).await
}

/// Whether a request to `route` is a media upload whose body is streamed to the work
/// directory rather than collected ([`answer_streamed`]): a multipart `POST` to
/// `/api/v1/media` or `/api/v2/media`, or a multipart `update_credentials`.
pub(crate) fn streams_upload(route: Api, request: &http::request::Parts) -> bool {
    let multipart = request
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    multipart
        && match route {
            Api::Media | Api::V2Media => request.method == Method::POST,
            Api::AccountsUpdate => matches!(request.method, Method::PATCH | Method::PUT),
            _ => false,
        }
}

/// Answers a media upload ([`streams_upload`]) from the raw request: its file parts are
/// written to the work directory as they arrive, within the largest upload taken (`413`
/// past it), so a video of Mastodon's 99 MB is never held in memory. The CORS step is the
/// caller's.
pub(crate) async fn answer_streamed(
    app: &App,
    request: http::Request<hyper::body::Incoming>,
    route: Api,
    m: &Matched,
) -> Response<Bytes> {
    use futures::StreamExt;
    let (parts, body) = request.into_parts();
    let req = http::Request::from_parts(parts, Bytes::new());
    let mut charge = rate_limits::Charge::default();
    let result = async {
        // Who uploads is checked before the body is read, so that a request that will be
        // refused writes nothing.
        let auth = token_of(app, &req).await?;
        match rate_limits::charge(app, &req, route, auth.token.as_ref(), auth.key) {
            Ok(c) => charge = c,
            Err(over) => return Ok(rate_limits::too_many(app, over)),
        }
        let scope = if route == Api::AccountsUpdate {
            "write:accounts"
        } else {
            "write:media"
        };
        let t = auth.token.as_ref().ok_or_else(ApiError::invalid_token)?;
        if !t.allows(scope) {
            return Err(ApiError::out_of_scope(scope));
        }
        if t.pending {
            return Err(ApiError::pending_approval());
        }
        let account = t.account_id.ok_or_else(ApiError::needs_user)?;
        if let Err(over) = rate_limits::family_full(app, &req, route, m, Some(account)) {
            return Ok(rate_limits::too_many(app, over));
        }
        let original = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let boundary = multipart::boundary(original)?;
        let chunks = http_body_util::BodyStream::new(body).filter_map(|frame| async move {
            match frame {
                Ok(f) => f.into_data().ok().map(Ok),
                Err(e) => Some(Err(e)),
            }
        });
        let limits = multipart::Limits {
            body: app.max_upload_bytes() + (1 << 20),
            file: app.max_upload_bytes(),
            ..multipart::Limits::API
        };
        let (text, uploads) =
            multipart::read_to_uploads(app, Box::pin(chunks), &boundary, limits).await?;
        let mut p = Params::from_request(&req).await?;
        p.add_text(text);
        dispatch_with(app, &req, route, m, p, auth, uploads).await
    }
    .await;
    let mut response = match result {
        Ok(r) if r.status() != StatusCode::TOO_MANY_REQUESTS => r,
        Ok(r) => close_after(r),
        Err(e) => close_after(e.into_response()),
    };
    rate_limits::finish(&charge, &mut response);
    response
}

/// An answer given before the body was read to its end: the rest of it is not read, so the
/// connection cannot be reused.
fn close_after(mut r: Response<Bytes>) -> Response<Bytes> {
    r.headers_mut()
        .insert(header::CONNECTION, http::HeaderValue::from_static("close"));
    r
}

/// Who a request is: its token, whether an `Authorization` header named no token, and a key
/// for the token's rate limit (a hash of it).
pub(crate) struct Auth {
    token: Option<Token>,
    bad: bool,
    key: Option<u64>,
}

/// The bearer token of a request (`bad` when an `Authorization` header names no token).
async fn token_of(app: &App, req: &http::Request<Bytes>) -> Result<Auth, ApiError> {
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let (token, bad, key) = match auth {
        Some(v) if v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer ") => {
            let raw = v[7..].trim();
            match oauth::lookup_token(app, raw).await? {
                Some(t) if t.blocked => {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "Your login is currently disabled",
                    ))
                }
                Some(t) => (Some(t), false, Some(app.limits().key_of(raw))),
                None => (None, true, None),
            }
        }
        // HTTP Basic is client authentication at /oauth/*; anything else is no token.
        Some(v) if v.to_ascii_lowercase().starts_with("basic ") => (None, false, None),
        Some(_) => (None, true, None),
        None => (None, false, None),
    };
    Ok(Auth { token, bad, key })
}

async fn dispatch_with(
    app: &App,
    req: &http::Request<Bytes>,
    route: Api,
    m: &Matched,
    p: Params,
    auth: Auth,
    uploads: Vec<(String, crate::app::Upload)>,
) -> ApiResult {
    let account = auth.token.as_ref().and_then(|t| t.account_id);
    let scheduled = route == Api::Statuses && p.nonempty("scheduled_at").is_some();
    let family = match rate_limits::charge_family(app, req, route, m, account, scheduled) {
        Ok(f) => f,
        Err(over) => return Ok(rate_limits::too_many(app, over)),
    };
    let ctx = Ctx {
        app,
        req,
        p,
        token: auth.token,
        bad_token: auth.bad,
        uploads: std::sync::Mutex::new(uploads),
    };
    // On the heap: the dispatch over every endpoint is one large future (see `post_status`).
    let result = Box::pin(endpoint(&ctx, req.method(), route, m)).await;
    let Some(family) = family else {
        return result;
    };
    let mut response = result.unwrap_or_else(ApiError::into_response);
    rate_limits::finish_family(app, &family, &mut response);
    Ok(response)
}

async fn endpoint(ctx: &Ctx<'_>, m: &Method, route: Api, path: &Matched) -> ApiResult {
    use Api as A;
    use Method as M;
    let (id, app) = (path.param("id"), ctx.app);
    match (m, route) {
        // OAuth and discovery.
        (&M::GET, A::OAuthMetadata) => oauth::metadata(app),
        (&M::GET, A::OAuthAuthorize) => oauth::authorize_page(app, &ctx.p).await,
        (&M::POST, A::OAuthAuthorize) => oauth::authorize_submit(app, ctx.req, &ctx.p).await,
        (&M::POST, A::OAuthToken) => oauth::token(app, ctx.req, &ctx.p).await,
        (&M::POST, A::OAuthRevoke) => oauth::revoke(app, ctx.req, &ctx.p).await,
        // Apps.
        (&M::POST, A::Apps) => oauth::create_app(app, &ctx.p).await,
        (&M::GET, A::AppsVerify) => {
            if ctx.bad_token {
                return Err(ApiError::invalid_token());
            }
            let t = ctx.token.as_ref().ok_or_else(ApiError::invalid_token)?;
            oauth::verify_app(app, t).await
        }
        // Instance.
        (&M::GET, A::Instance) => instance::v1(ctx).await,
        (&M::GET, A::V2Instance) => instance::v2(ctx).await,
        (&M::GET, A::InstancePeers | A::InstanceActivity) => ok(json!([])),
        (&M::GET, A::InstanceRules) => instance::rules(ctx).await,
        (&M::GET, A::InstanceExtendedDescription) => instance::extended_description(ctx),
        (&M::GET, A::InstanceDomainBlocks) => admin_domains::instance_list(ctx).await,
        (&M::GET, A::InstanceTranslationLanguages) => ok(json!({})),
        (&M::GET, A::InstanceLanguages) => ok(json!([{"code": "en", "name": "English"}])),
        (&M::GET, A::CustomEmojis) => instance::custom_emojis(ctx).await,
        (&M::GET, A::Preferences) => instance::preferences(ctx),
        // Accounts.
        (&M::GET, A::AccountsVerify) => accounts::verify_credentials(ctx).await,
        (&M::PATCH | &M::PUT, A::AccountsUpdate) => accounts::update_credentials(ctx).await,
        (&M::GET, A::AccountsRelationships) => accounts::relationships(ctx).await,
        (&M::GET, A::AccountsLookup) => accounts::lookup(ctx).await,
        (&M::GET, A::AccountsSearch) => accounts::search(ctx).await,
        (&M::GET, A::AccountsFamiliarFollowers) => {
            ctx.user("read:follows")?;
            ok(json!([]))
        }
        (&M::POST, A::Accounts) => signup::register(ctx).await,
        (&M::GET, A::Accounts) => accounts::many(ctx).await,
        (&M::GET, A::Account) => accounts::get(ctx, id).await,
        (&M::GET, A::AccountStatuses) => accounts::statuses(ctx, id).await,
        (&M::GET, A::AccountFollowers) => accounts::followers(ctx, id, true).await,
        (&M::GET, A::AccountFollowing) => accounts::followers(ctx, id, false).await,
        (&M::GET, A::AccountFeaturedTags) => {
            ctx.viewer("read:accounts")?;
            ok(json!([]))
        }
        (&M::GET, A::AccountLists) => lists::lists_of_account(ctx, id).await,
        (&M::POST, A::AccountAction) => accounts::action(ctx, id, path.param("action")).await,
        // Admin: approval of sign-ups.
        (&M::POST, A::AdminAccountApprove) => signup::approve(ctx, id).await,
        (&M::POST, A::AdminAccountReject) => signup::reject(ctx, id).await,
        // Follow requests.
        (&M::GET, A::FollowRequests) => follows::follow_requests(ctx).await,
        (&M::POST, A::FollowRequestAuthorize) => {
            follows::follow_request_decide(ctx, id, true).await
        }
        (&M::POST, A::FollowRequestReject) => follows::follow_request_decide(ctx, id, false).await,
        // Blocks and mutes.
        (&M::GET, A::Blocks) => follows::blocks_or_mutes(ctx, true).await,
        (&M::GET, A::Mutes) => follows::blocks_or_mutes(ctx, false).await,
        (&M::GET, A::DomainBlocks) => follows::domain_blocks(ctx).await,
        (&M::POST, A::DomainBlocks) => follows::block_domain(ctx, true).await,
        (&M::DELETE, A::DomainBlocks) => follows::block_domain(ctx, false).await,
        // Statuses.
        (&M::POST, A::Statuses) => statuses::create(ctx).await,
        (&M::GET, A::Statuses) => statuses::many(ctx).await,
        (&M::GET, A::Status) => statuses::get(ctx, id).await,
        (&M::DELETE, A::Status) => statuses::delete(ctx, id).await,
        (&M::PUT, A::Status) => statuses::edit(ctx, id).await,
        (&M::GET, A::StatusContext) => statuses::context(ctx, id).await,
        (&M::GET, A::StatusFavouritedBy) => statuses::who(ctx, id, true).await,
        (&M::GET, A::StatusRebloggedBy) => statuses::who(ctx, id, false).await,
        (&M::GET, A::StatusHistory) => statuses::history(ctx, id).await,
        (&M::GET, A::StatusSource) => statuses::source(ctx, id).await,
        (&M::GET, A::StatusCard) => statuses::card(ctx, id).await,
        (&M::POST, A::StatusAction) => statuses::action(ctx, id, path.param("action")).await,
        // Timelines.
        (&M::GET, A::TimelineHome) => timelines::home(ctx).await,
        (&M::GET, A::TimelinePublic) => timelines::public(ctx).await,
        (&M::GET, A::TimelineTag) => timelines::tag(ctx, path.param("tag")).await,
        (&M::GET, A::TimelineList) => timelines::list(ctx, id).await,
        (&M::GET, A::Favourites) => timelines::favourites(ctx).await,
        (&M::GET, A::Bookmarks) => timelines::bookmarks(ctx).await,
        (&M::POST, A::SettingsImports) => imports::create(ctx).await,
        (&M::GET, A::SettingsImports) => imports::list(ctx).await,
        (&M::GET, A::SettingsImport) => imports::show(ctx, id).await,
        (&M::GET, A::SettingsImportFailures) => imports::failures_csv(ctx, id).await,
        // Scheduled statuses.
        (&M::GET, A::ScheduledStatuses) => scheduled::list(ctx).await,
        (&M::GET, A::ScheduledStatus) => scheduled::get(ctx, id).await,
        (&M::PUT, A::ScheduledStatus) => scheduled::update(ctx, id).await,
        (&M::DELETE, A::ScheduledStatus) => scheduled::delete(ctx, id).await,
        // Read markers.
        (&M::GET, A::Markers) => markers::get(ctx).await,
        (&M::POST, A::Markers) => markers::set(ctx).await,
        // Notifications.
        (&M::GET, A::Notifications) => notifications::notifications(ctx).await,
        (&M::GET, A::V2Notifications) => grouped_notifications::index(ctx).await,
        (&M::GET, A::NotificationsUnreadCount) => notifications::unread_count(ctx).await,
        (&M::GET, A::V2NotificationsUnreadCount) => grouped_notifications::unread_count(ctx).await,
        (&M::GET, A::NotificationsPolicy) => notifications::policy(ctx, false).await,
        (&M::GET, A::V2NotificationsPolicy) => notifications::policy(ctx, true).await,
        (&M::PUT | &M::PATCH, A::NotificationsPolicy) => {
            notifications::update_policy(ctx, false).await
        }
        (&M::PATCH | &M::PUT, A::V2NotificationsPolicy) => {
            notifications::update_policy(ctx, true).await
        }
        (&M::GET, A::V2NotificationGroup) => {
            grouped_notifications::show(ctx, path.param("group_key")).await
        }
        (&M::GET, A::V2NotificationGroupAccounts) => {
            grouped_notifications::accounts(ctx, path.param("group_key")).await
        }
        (&M::POST, A::V2NotificationGroupDismiss) => {
            grouped_notifications::dismiss(ctx, path.param("group_key")).await
        }
        (&M::GET, A::NotificationsRequests) => notification_requests::index(ctx).await,
        (&M::GET, A::NotificationsRequestsMerged) => notification_requests::merged(ctx),
        (&M::POST, A::NotificationsRequestsAccept) => notification_requests::bulk(ctx, true).await,
        (&M::POST, A::NotificationsRequestsDismiss) => {
            notification_requests::bulk(ctx, false).await
        }
        (&M::GET, A::NotificationRequest) => notification_requests::show(ctx, id).await,
        (&M::POST, A::NotificationRequestAccept) => {
            notification_requests::action(ctx, id, true).await
        }
        (&M::POST, A::NotificationRequestDismiss) => {
            notification_requests::action(ctx, id, false).await
        }
        (&M::POST, A::NotificationsClear) => notifications::clear(ctx).await,
        (&M::GET, A::Notification) => notifications::notification(ctx, id).await,
        (&M::POST, A::NotificationDismiss) => notifications::dismiss(ctx, id).await,
        (&M::POST, A::NotificationsDismiss) => {
            let id = ctx.p.str("id").unwrap_or_default();
            notifications::dismiss(ctx, &id).await
        }
        // Search (v1 is gone in Mastodon; answer as v2 does).
        (&M::GET, A::Search | A::V2Search) => search::search(ctx).await,
        // Tags.
        (&M::GET, A::TagInfo) => {
            let viewer = ctx.viewer("read")?;
            ok(entities::tag(app, path.param("tag"), viewer.map(|_| false)))
        }
        // What Woolly does not do: as an empty account answers, or a JSON error.
        (&M::GET, A::V2Suggestions) => {
            ctx.viewer("read")?;
            ok(json!([]))
        }
        (
            &M::GET,
            A::Endorsements
            | A::FeaturedTags
            | A::FollowedTags
            | A::Announcements
            | A::Suggestions
            | A::FeaturedTagSuggestions,
        ) => {
            ctx.user("read")?;
            ok(json!([]))
        }
        (
            &M::GET,
            A::Trends | A::TrendsTags | A::TrendsStatuses | A::TrendsLinks | A::Directory,
        ) => ok(json!([])),
        (&M::GET, A::PushSubscription) => {
            ctx.token("push")?;
            Err(ApiError::not_found())
        }
        (&M::POST, A::PushSubscription) => {
            ctx.token("push")?;
            Err(ApiError::unprocessable(
                "Web Push is not supported by this server",
            ))
        }
        // Media.
        (&M::POST, A::Media) => media::upload(ctx, false).await,
        (&M::POST, A::V2Media) => media::upload(ctx, true).await,
        (&M::GET, A::MediaItem) => media::get(ctx, id).await,
        (&M::PUT, A::MediaItem) => media::update(ctx, id).await,
        (&M::DELETE, A::MediaItem) => media::delete(ctx, id).await,
        (&M::DELETE, A::ProfileAvatar) => {
            media::delete_profile_image(ctx, crate::app::ProfileSlot::Avatar).await
        }
        (&M::DELETE, A::ProfileHeader) => {
            media::delete_profile_image(ctx, crate::app::ProfileSlot::Header).await
        }
        // Conversations.
        (_, A::Conversations | A::Conversation | A::ConversationRead) => {
            conversations::answer(ctx, m, route, id).await
        }
        // Lists.
        (_, A::Lists | A::List | A::ListAccounts) => lists::answer(ctx, m, route, id).await,
        (
            _,
            A::Filters
            | A::Filter
            | A::V2Filters
            | A::V2Filter
            | A::V2FilterKeywords
            | A::V2FilterKeyword
            | A::V2FilterStatuses
            | A::V2FilterStatus,
        ) => filters::answer(ctx, m, route, id).await,
        // Reports, and the admin API's.
        (&M::POST, A::Reports) => reports::create(ctx).await,
        (&M::GET, A::AdminReports) => reports::admin_index(ctx).await,
        (&M::GET, A::AdminReport) => reports::admin_show(ctx, id).await,
        (&M::PUT, A::AdminReport) => reports::admin_update(ctx, id).await,
        (&M::POST, A::AdminReportAction) => {
            reports::admin_action(ctx, id, path.param("action")).await
        }
        // Admin: accounts.
        (_, A::AdminAccounts | A::V2AdminAccounts | A::AdminAccount | A::AdminAccountAction) => {
            admin_accounts::answer(ctx, m, route, id, path.param("action")).await
        }
        // Admin: domain blocks and allows.
        (
            _,
            A::AdminDomainBlocks | A::AdminDomainBlock | A::AdminDomainAllows | A::AdminDomainAllow,
        ) => admin_domains::answer(ctx, m, route, id).await,
        // Account exports (issue #19).
        (&M::GET, A::ExportCsv) => exports::csv(ctx, path.param("file")).await,
        (&M::GET, A::ExportArchive) => exports::archive_state(ctx).await,
        (&M::POST, A::ExportArchive) => exports::request_archive(ctx).await,
        (&M::GET, A::ExportArchiveFile) => exports::archive_file(ctx, id).await,
        (&M::GET, A::Poll) => polls::get(ctx, id).await,
        (&M::POST, A::PollVotes) => polls::vote(ctx, id).await,
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
    if app.is_pending(account_id).await? {
        return Err(crate::Error::Forbidden(format!(
            "{} is waiting for approval",
            account.acct()
        )));
    }
    let scopes = oauth::parse_scopes_of(scopes, true).map_err(crate::Error::BadRequest)?;
    if crate::app::roles::has_admin_scope(&scopes) && !account.role.may_hold_admin_scopes() {
        return Err(crate::Error::Forbidden(format!(
            "{} has the role {}, which may not hold admin scopes (give it one with `woolly \
             account role {} moderator|admin|owner`)",
            account.acct(),
            account.role,
            account.username
        )));
    }
    if account.deleted || account.moderation.disabled || account.is_suspended() {
        return Err(crate::Error::Forbidden(format!(
            "the login of {} is disabled or suspended",
            account.acct()
        )));
    }
    let (token, _) = oauth::issue_token(app, None, Some(account_id), &scopes).await?;
    Ok(token)
}
