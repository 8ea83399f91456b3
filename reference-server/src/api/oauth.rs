//! OAuth 2: applications, the sign-in and consent page, codes (with PKCE), tokens and scopes.
//!
//! Records live in the store's key-value space as JSON: `oauth.apps` (client id → the
//! application, with a SHA-256 of its secret), `oauth.codes` (SHA-256 of the code → the
//! grant: account, scopes, redirect URI, PKCE challenge, expiry) and `oauth.tokens` (SHA-256
//! of the token → account, application, scopes). Tokens, codes and client secrets themselves
//! are never stored.

use base64::Engine as _;
use bytes::Bytes;
use http::{header, StatusCode};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::params::Params;
use super::rate_limits;
use super::responses::{html_response, ok, redirect};
use super::responses::{ApiError, ApiResult};
use super::secrets::{random_secret, sha256_hex};
use crate::app::App;
use crate::error::Error;

/// Namespace of applications.
pub(crate) const NS_APPS: &str = "oauth.apps";
/// Namespace of authorization codes.
pub(crate) const NS_CODES: &str = "oauth.codes";
/// Namespace of access tokens.
pub(crate) const NS_TOKENS: &str = "oauth.tokens";
/// Namespace of misc API state (the VAPID key).
pub(crate) const NS_API: &str = "api.state";

/// The out-of-band redirect URI: the code is shown to the user.
pub const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";

/// Codes live ten minutes.
const CODE_TTL_MS: u64 = 10 * 60 * 1000;

/// The scopes a token may carry.
pub const SCOPES: &[&str] = &[
    "read",
    "write",
    "follow",
    "push",
    "profile",
    "read:accounts",
    "read:blocks",
    "read:bookmarks",
    "read:favourites",
    "read:filters",
    "read:follows",
    "read:lists",
    "read:mutes",
    "read:notifications",
    "read:search",
    "read:statuses",
    "write:accounts",
    "write:blocks",
    "write:bookmarks",
    "write:conversations",
    "write:favourites",
    "write:filters",
    "write:follows",
    "write:lists",
    "write:media",
    "write:mutes",
    "write:notifications",
    "write:reports",
    "write:statuses",
    "admin:read",
    "admin:write",
    "admin:read:accounts",
    "admin:read:reports",
    "admin:read:domain_allows",
    "admin:read:domain_blocks",
    "admin:read:ip_blocks",
    "admin:read:email_domain_blocks",
    "admin:read:canonical_email_blocks",
    "admin:write:accounts",
    "admin:write:reports",
    "admin:write:domain_allows",
    "admin:write:domain_blocks",
    "admin:write:ip_blocks",
    "admin:write:email_domain_blocks",
    "admin:write:canonical_email_blocks",
];

/// Mastodon's admin scopes. Only `woolly token create` grants them for now (the operator's
/// decision): apps asking for them through OAuth get `invalid_scope`, until roles decide who
/// may hold them.
pub const ADMIN_SCOPES: &[&str] = &[
    "admin:read",
    "admin:read:accounts",
    "admin:read:reports",
    "admin:read:domain_allows",
    "admin:read:domain_blocks",
    "admin:read:ip_blocks",
    "admin:read:email_domain_blocks",
    "admin:read:canonical_email_blocks",
    "admin:write",
    "admin:write:accounts",
    "admin:write:reports",
    "admin:write:domain_allows",
    "admin:write:domain_blocks",
    "admin:write:ip_blocks",
    "admin:write:email_domain_blocks",
    "admin:write:canonical_email_blocks",
];

/// Mastodon's answer to an account waiting for approval (`403` on the API).
pub(crate) const PENDING_APPROVAL: &str = "Your login is currently pending approval";

/// A registered application.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OAuthApp {
    pub(crate) id: u64,
    pub(crate) name: String,
    pub(crate) website: Option<String>,
    pub(crate) redirect_uris: Vec<String>,
    pub(crate) scopes: String,
    pub(crate) client_id: String,
    pub(crate) client_secret_sha256: String,
    pub(crate) created_at: u64,
}

/// An authorization code's grant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Grant {
    pub(crate) client_id: String,
    pub(crate) account_id: u64,
    pub(crate) redirect_uri: String,
    pub(crate) scopes: String,
    pub(crate) code_challenge: Option<String>,
    pub(crate) expires_at: u64,
}

/// An access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Token {
    /// The application (`None` for tokens from `woolly token create`).
    pub(crate) client_id: Option<String>,
    /// The user (`None` for client-credentials tokens).
    pub(crate) account_id: Option<u64>,
    pub(crate) scopes: String,
    pub(crate) created_at: u64,
    /// Issued at sign-up to an account waiting for approval: refused with `403` until the
    /// account is approved (which clears it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) pending: bool,
    /// Its account's login is disabled or suspended: the token answers `403` until it is
    /// enabled again (see [`sync_login`](super::token_access::sync_login)).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) blocked: bool,
}

impl Token {
    /// Whether the token grants `needed` (e.g. `read:statuses`): the scope itself, its
    /// parent (`read`), or `follow` for the follow/block/mute scopes.
    pub(crate) fn allows(&self, needed: &str) -> bool {
        scopes_allow(&self.scopes, needed)
    }
}

/// Whether a space-separated scope list grants `needed`: the scope itself or its parent
/// (`read` for `read:statuses`, `admin:read` for `admin:read:accounts`).
pub fn scopes_allow(scopes: &str, needed: &str) -> bool {
    // The parent of `read:statuses` is `read`; of `admin:read:reports`, `admin:read`.
    let parent = needed.rsplit_once(':').map_or(needed, |(p, _)| p);
    scopes.split_whitespace().any(|s| {
        s == needed
            || s == parent
            || (s == "follow"
                && matches!(
                    needed,
                    "read:follows"
                        | "write:follows"
                        | "read:blocks"
                        | "write:blocks"
                        | "read:mutes"
                        | "write:mutes"
                ))
            || (needed == "profile" && (s == "read" || s == "read:accounts"))
    })
}

/// Normalizes a scope list (space- or `+`-separated); errors on an unknown scope. Empty
/// gives `read`.
pub fn parse_scopes(s: &str) -> Result<String, String> {
    parse_scopes_of(s, false)
}

/// [`parse_scopes`], admitting the [`ADMIN_SCOPES`] too when `admin` (for
/// `woolly token create`).
pub fn parse_scopes_of(s: &str, admin: bool) -> Result<String, String> {
    let mut out: Vec<&str> = Vec::new();
    for sc in s.split(|c: char| c.is_whitespace() || c == '+') {
        if sc.is_empty() {
            continue;
        }
        let known = SCOPES.contains(&sc) || (admin && ADMIN_SCOPES.contains(&sc));
        if !known {
            return Err(format!("unknown scope {sc:?}"));
        }
        if !out.contains(&sc) {
            out.push(sc);
        }
    }
    if out.is_empty() {
        out.push("read");
    }
    Ok(out.join(" "))
}

fn subset(requested: &str, allowed: &str) -> bool {
    requested.split_whitespace().all(|r| {
        allowed.split_whitespace().any(|a| a == r) || scopes_allow(allowed, r) && r.contains(':')
    })
}

/// Finds the token of an `Authorization: Bearer` value.
pub(crate) async fn lookup_token(app: &App, token: &str) -> Result<Option<Token>, Error> {
    if token.is_empty() || token.len() > 512 {
        return Ok(None);
    }
    app.get::<Token>(NS_TOKENS, &sha256_hex(token)).await
}

/// Issues a token. Until accounts have roles, a token with an admin scope for an account is
/// issued only by the operator (`woolly token create`, `client_id` `None`): an OAuth grant
/// asking for one on behalf of an account is refused (`403`), so no user makes itself a
/// moderator.
pub(crate) async fn issue_token(
    app: &App,
    client_id: Option<String>,
    account_id: Option<u64>,
    scopes: &str,
) -> Result<(String, Token), Error> {
    let (token, t, _) = issue_token_with(app, client_id, account_id, scopes, false).await?;
    Ok((token, t))
}

/// Issues a token, `pending` approval of its account or not; returns it, its record and its
/// digest (the key of the record).
pub(crate) async fn issue_token_with(
    app: &App,
    client_id: Option<String>,
    account_id: Option<u64>,
    scopes: &str,
    pending: bool,
) -> Result<(String, Token, String), Error> {
    let token = random_secret();
    let t = Token {
        client_id,
        account_id,
        scopes: scopes.to_owned(),
        created_at: app.now_ms(),
        pending,
        blocked: false,
    };
    let digest = sha256_hex(&token);
    app.put(NS_TOKENS, &digest, &t).await?;
    Ok((token, t, digest))
}

async fn find_app(app: &App, client_id: &str) -> Result<Option<OAuthApp>, Error> {
    if client_id.is_empty() || client_id.len() > 256 {
        return Ok(None);
    }
    app.get::<OAuthApp>(NS_APPS, client_id).await
}

/// The application of a token, for `verify_credentials` and `Status.application`.
pub(crate) async fn token_app(app: &App, token: &Token) -> Result<Option<OAuthApp>, Error> {
    match &token.client_id {
        Some(c) => find_app(app, c).await,
        None => Ok(None),
    }
}

/// The instance's VAPID public key (a P-256 point, URL-safe base64), made on first use.
pub(crate) async fn vapid_key(app: &App) -> Result<String, Error> {
    if let Some(k) = app.get_str(NS_API, "vapid_public_key").await? {
        return Ok(k);
    }
    use ring::signature::KeyPair as _;
    let rng = ring::rand::SystemRandom::new();
    let alg = &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING;
    let pkcs8 = ring::signature::EcdsaKeyPair::generate_pkcs8(alg, &rng)
        .map_err(|_| Error::Config("could not generate the VAPID key".into()))?;
    let pair = ring::signature::EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng)
        .map_err(|_| Error::Config("could not read the VAPID key".into()))?;
    let public = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(pair.public_key());
    let private = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(pkcs8.as_ref());
    app.store()
        .kv_put(NS_API, b"vapid_private_pkcs8", private.as_bytes())
        .await?;
    app.store()
        .kv_put(NS_API, b"vapid_public_key", public.as_bytes())
        .await?;
    Ok(public)
}

fn app_json(a: &OAuthApp, secret: Option<&str>, vapid: &str) -> Value {
    let mut v = json!({
        "id": a.id.to_string(),
        "name": a.name,
        "website": a.website,
        "scopes": a.scopes.split_whitespace().collect::<Vec<_>>(),
        "redirect_uri": a.redirect_uris.join("\n"),
        "redirect_uris": a.redirect_uris,
        "vapid_key": vapid,
    });
    if let Some(s) = secret {
        v["client_id"] = json!(a.client_id);
        v["client_secret"] = json!(s);
        v["client_secret_expires_at"] = json!(0);
    }
    v
}

fn valid_redirect(uri: &str) -> bool {
    uri == OOB || url::Url::parse(uri).is_ok_and(|u| u.fragment().is_none())
}

/// `POST /api/v1/apps`.
pub(crate) async fn create_app(app: &App, p: &Params) -> ApiResult {
    let name = p.nonempty("client_name").ok_or_else(|| {
        ApiError::unprocessable("Validation failed: Application name can't be blank")
    })?;
    if name.chars().count() > 60 {
        return Err(ApiError::unprocessable(
            "Validation failed: Application name is too long",
        ));
    }
    let mut redirect_uris: Vec<String> = p
        .list("redirect_uris")
        .iter()
        .flat_map(|s| {
            s.split(['\n', ' '])
                .map(str::trim)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect();
    if redirect_uris.is_empty() {
        if p.get("redirect_uris").is_none() {
            redirect_uris.push(OOB.to_owned());
        } else {
            return Err(ApiError::unprocessable(
                "Validation failed: Redirect URI can't be blank",
            ));
        }
    }
    if let Some(bad) = redirect_uris.iter().find(|u| !valid_redirect(u)) {
        return Err(ApiError::unprocessable(format!(
            "Validation failed: Redirect URI must be an absolute URI: {bad}"
        )));
    }
    let scopes = parse_scopes(&p.str("scopes").unwrap_or_default())
        .map_err(|e| ApiError::unprocessable(format!("Validation failed: Scopes: {e}")))?;
    let website = p.nonempty("website");
    let client_id = random_secret();
    let secret = random_secret();
    let now = app.now_ms();
    let a = OAuthApp {
        id: app.inner.ids.next(now),
        name,
        website,
        redirect_uris,
        scopes,
        client_id: client_id.clone(),
        client_secret_sha256: sha256_hex(&secret),
        created_at: now,
    };
    app.put(NS_APPS, &client_id, &a).await?;
    let vapid = vapid_key(app).await?;
    ok(app_json(&a, Some(&secret), &vapid))
}

/// `GET /api/v1/apps/verify_credentials`. Tokens from `woolly token create` belong to no
/// registered application: they answer as the application `woolly`.
pub(crate) async fn verify_app(app: &App, token: &Token) -> ApiResult {
    let vapid = vapid_key(app).await?;
    match token_app(app, token).await? {
        Some(a) => ok(app_json(&a, None, &vapid)),
        None => ok(json!({
            "id": "0",
            "name": "woolly",
            "website": null,
            "scopes": token.scopes.split_whitespace().collect::<Vec<_>>(),
            "redirect_uri": OOB,
            "redirect_uris": [OOB],
            "vapid_key": vapid,
        })),
    }
}

/// `/.well-known/oauth-authorization-server` (RFC 8414).
pub(crate) fn metadata(app: &App) -> ApiResult {
    let b = app.base();
    ok(json!({
        "issuer": format!("{b}/"),
        "authorization_endpoint": format!("{b}/oauth/authorize"),
        "token_endpoint": format!("{b}/oauth/token"),
        "revocation_endpoint": format!("{b}/oauth/revoke"),
        "app_registration_endpoint": format!("{b}/api/v1/apps"),
        "scopes_supported": SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": if app.config().password_grant {
            json!(["authorization_code", "client_credentials", "password"])
        } else {
            json!(["authorization_code", "client_credentials"])
        },
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "service_documentation": "https://docs.joinmastodon.org/",
    }))
}

struct AuthorizeRequest {
    app: OAuthApp,
    redirect_uri: String,
    scopes: String,
    state: Option<String>,
    code_challenge: Option<String>,
}

async fn authorize_request(app: &App, p: &Params) -> Result<AuthorizeRequest, String> {
    let client_id = p.str("client_id").unwrap_or_default();
    let a = find_app(app, &client_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("Client authentication failed due to unknown client.")?;
    if let Some(rt) = p.str("response_type") {
        if rt != "code" {
            return Err("The authorization server does not support this response type.".into());
        }
    }
    let redirect_uri = match p.nonempty("redirect_uri") {
        Some(r) => r,
        None if a.redirect_uris.len() == 1 => a.redirect_uris[0].clone(),
        None => return Err("The redirect uri included is not valid.".into()),
    };
    if !a.redirect_uris.contains(&redirect_uri) {
        return Err("The redirect uri included is not valid.".into());
    }
    let requested = match p.nonempty("scope").or_else(|| p.nonempty("scopes")) {
        Some(s) => parse_scopes(&s)?,
        None => a.scopes.clone(),
    };
    if !subset(&requested, &a.scopes) {
        return Err("The requested scope is invalid, unknown, or malformed.".into());
    }
    let code_challenge = match p.nonempty("code_challenge") {
        Some(c) => {
            let method = p.str("code_challenge_method").unwrap_or_default();
            if method != "S256" {
                return Err("Only the S256 code challenge method is supported.".into());
            }
            Some(c)
        }
        None => None,
    };
    Ok(AuthorizeRequest {
        app: a,
        redirect_uri,
        scopes: requested,
        state: p.str("state"),
        code_challenge,
    })
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}label,input,button{display:block;width:100%;margin:.4rem 0}input,button{padding:.5rem;font-size:1rem}.error{color:#b00}code{font-size:1.2rem;word-break:break-all}";

/// An OAuth page (a `maud` template: every string given is escaped).
fn page(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    }
    .into_string()
}

fn hidden(name: &str, value: &str) -> Markup {
    html! { input type="hidden" name=(name) value=(value); }
}

fn authorize_form(app: &App, r: &AuthorizeRequest, error: Option<&str>, username: &str) -> String {
    let body = html! {
        h1 { (app.config().title) }
        p {
            strong { (r.app.name) }
            " would like to use your account on " (app.config().domain())
            ", with these permissions:"
        }
        ul {
            @for s in r.scopes.split_whitespace() { li { code { (s) } } }
        }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form method="post" action="/oauth/authorize" {
            (hidden("client_id", &r.app.client_id))
            (hidden("redirect_uri", &r.redirect_uri))
            (hidden("response_type", "code"))
            (hidden("scope", &r.scopes))
            @if let Some(s) = &r.state { (hidden("state", s)) }
            @if let Some(c) = &r.code_challenge {
                (hidden("code_challenge", c))
                (hidden("code_challenge_method", "S256"))
            }
            label for="username" { "Username" }
            input id="username" name="username" autocomplete="username" required value=(username);
            label for="password" { "Password" }
            input id="password" type="password" name="password" autocomplete="current-password" required;
            button type="submit" name="decision" value="approve" { "Authorize" }
            button type="submit" name="decision" value="deny" formnovalidate { "Deny" }
        }
    };
    page(&format!("Authorize {}", r.app.name), body)
}

fn error_page(message: &str) -> http::Response<Bytes> {
    html_response(
        StatusCode::BAD_REQUEST,
        page(
            "Authorization failed",
            html! {
                h1 { "Authorization failed" }
                p.error { (message) }
            },
        ),
    )
}

fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k, v);
    }
    let q = ser.finish();
    if uri.contains('?') {
        format!("{uri}&{q}")
    } else {
        format!("{uri}?{q}")
    }
}

/// `GET /oauth/authorize`: the sign-in and consent page.
pub(crate) async fn authorize_page(app: &App, p: &Params) -> ApiResult {
    match authorize_request(app, p).await {
        Ok(r) => Ok(html_response(
            StatusCode::OK,
            authorize_form(app, &r, None, ""),
        )),
        Err(e) => Ok(error_page(&e)),
    }
}

/// `POST /oauth/authorize`: checks the password, then redirects with a code.
pub(crate) async fn authorize_submit(
    app: &App,
    req: &http::Request<Bytes>,
    p: &Params,
) -> ApiResult {
    let r = match authorize_request(app, p).await {
        Ok(r) => r,
        Err(e) => return Ok(error_page(&e)),
    };
    let state = r.state.clone().unwrap_or_default();
    if p.str("decision").as_deref() == Some("deny") {
        if r.redirect_uri == OOB {
            return Ok(error_page("Access denied."));
        }
        let mut pairs = vec![
            ("error", "access_denied"),
            (
                "error_description",
                "The resource owner or authorization server denied the request.",
            ),
        ];
        if r.state.is_some() {
            pairs.push(("state", &state));
        }
        return redirect(&with_query(&r.redirect_uri, &pairs));
    }
    let username = p.str("username").unwrap_or_default();
    let password = p.str("password").unwrap_or_default();
    let gate = match rate_limits::login_gate(app, req, &username) {
        Ok(g) => g,
        Err(over) => {
            let mut r = html_response(
                StatusCode::TOO_MANY_REQUESTS,
                authorize_form(
                    app,
                    &r,
                    Some("Too many failed sign-in attempts. Try again later."),
                    &username,
                ),
            );
            rate_limits::retry_after(&mut r, over.reset_ms.saturating_sub(app.now_ms()));
            return Ok(r);
        }
    };
    let account = match check_login(app, &username, &password).await? {
        Some(a) if app.is_pending(a).await? => {
            return Ok(html_response(
                StatusCode::FORBIDDEN,
                authorize_form(app, &r, Some(PENDING_APPROVAL), &username),
            ));
        }
        Some(a) => a,
        None => {
            rate_limits::login_failed(app, gate);
            return Ok(html_response(
                StatusCode::UNAUTHORIZED,
                authorize_form(app, &r, Some("Invalid username or password."), &username),
            ));
        }
    };
    let code = random_secret();
    let grant = Grant {
        client_id: r.app.client_id.clone(),
        account_id: account,
        redirect_uri: r.redirect_uri.clone(),
        scopes: super::token_access::scopes_for(app, account, &r.scopes).await?,
        code_challenge: r.code_challenge.clone(),
        expires_at: app.now_ms() + CODE_TTL_MS,
    };
    app.put(NS_CODES, &sha256_hex(&code), &grant).await?;
    if r.redirect_uri == OOB {
        return Ok(html_response(
            StatusCode::OK,
            page(
                "Authorization code",
                html! {
                    h1 { "Authorization code" }
                    p { "Copy this code and paste it into the application." }
                    p { code #code { (code) } }
                },
            ),
        ));
    }
    let mut pairs = vec![("code", code.as_str())];
    if r.state.is_some() {
        pairs.push(("state", &state));
    }
    redirect(&with_query(&r.redirect_uri, &pairs))
}

/// The local account of a username (or `user@our.domain`) and password.
async fn check_login(app: &App, username: &str, password: &str) -> Result<Option<u64>, Error> {
    if username.is_empty() || password.is_empty() {
        return Ok(None);
    }
    let Some(acc) = app.account_by_acct(username).await? else {
        return Ok(None);
    };
    // A disabled or suspended login is refused, as Mastodon refuses one not `functional?`.
    if !acc.is_local() || acc.deleted || acc.moderation.disabled || acc.is_suspended() {
        return Ok(None);
    }
    Ok(app
        .check_password(acc.id, password)
        .await?
        .then_some(acc.id))
}

/// The client of a token or revoke request: `client_id`/`client_secret` in the body or HTTP
/// Basic. `Ok(None)` when no secret was given (a public client).
async fn client_auth(
    app: &App,
    req: &http::Request<Bytes>,
    p: &Params,
) -> Result<(OAuthApp, bool), ApiError> {
    let mut id = p.str("client_id");
    let mut secret = p.str("client_secret");
    if let Some(basic) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        if let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(basic.trim()) {
            let raw = String::from_utf8_lossy(&raw).into_owned();
            if let Some((i, s)) = raw.split_once(':') {
                let dec = |x: &str| percent_decode(x);
                id = Some(dec(i));
                secret = Some(dec(s));
            }
        }
    }
    let invalid = || {
        ApiError::oauth(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
        )
    };
    let a = find_app(app, &id.unwrap_or_default())
        .await?
        .ok_or_else(invalid)?;
    match secret {
        Some(s) if !s.is_empty() => {
            if sha256_hex(&s) != a.client_secret_sha256 {
                return Err(invalid());
            }
            Ok((a, true))
        }
        _ => Ok((a, false)),
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn token_json(token: &str, t: &Token) -> Value {
    json!({
        "access_token": token,
        "token_type": "Bearer",
        "scope": t.scopes,
        "created_at": t.created_at / 1000,
    })
}

fn pkce_ok(challenge: &str, verifier: &str) -> bool {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d) == challenge
}

/// `POST /oauth/token`.
pub(crate) async fn token(app: &App, req: &http::Request<Bytes>, p: &Params) -> ApiResult {
    let grant_type = p.str("grant_type").unwrap_or_default();
    let invalid_grant = |d: &str| ApiError::oauth(StatusCode::BAD_REQUEST, "invalid_grant", d);
    match grant_type.as_str() {
        "authorization_code" => {
            let (client, authenticated) = client_auth(app, req, p).await?;
            let code = p.str("code").unwrap_or_default();
            if code.is_empty() {
                return Err(ApiError::oauth(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "Missing required parameter: code.",
                ));
            }
            let key = sha256_hex(&code);
            let grant_err = "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.";
            let Some(grant) = app.get::<Grant>(NS_CODES, &key).await? else {
                return Err(invalid_grant(grant_err));
            };
            // One use, whatever happens next.
            app.store()
                .kv_delete(NS_CODES, key.as_bytes())
                .await
                .map_err(Error::from)?;
            if grant.client_id != client.client_id || grant.expires_at < app.now_ms() {
                return Err(invalid_grant(grant_err));
            }
            if let Some(r) = p.nonempty("redirect_uri") {
                if r != grant.redirect_uri {
                    return Err(invalid_grant(grant_err));
                }
            }
            match (&grant.code_challenge, p.nonempty("code_verifier")) {
                (Some(c), Some(v)) if pkce_ok(c, &v) => {}
                (Some(_), _) => {
                    return Err(invalid_grant("The PKCE code verifier does not match."))
                }
                (None, _) if !authenticated => {
                    return Err(ApiError::oauth(
                        StatusCode::UNAUTHORIZED,
                        "invalid_client",
                        "Client authentication failed: client_secret is required without PKCE.",
                    ))
                }
                (None, _) => {}
            }
            let (tok, t) = issue_token(
                app,
                Some(client.client_id.clone()),
                Some(grant.account_id),
                &grant.scopes,
            )
            .await?;
            ok(token_json(&tok, &t))
        }
        "client_credentials" => {
            let (client, authenticated) = client_auth(app, req, p).await?;
            if !authenticated {
                return Err(ApiError::oauth(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "Client authentication failed: client_secret is required.",
                ));
            }
            let scopes = scopes_param(p, &client)?;
            let (tok, t) = issue_token(app, Some(client.client_id.clone()), None, &scopes).await?;
            ok(token_json(&tok, &t))
        }
        "password" if app.config().password_grant => {
            let (client, authenticated) = client_auth(app, req, p).await?;
            if !authenticated {
                return Err(ApiError::oauth(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "Client authentication failed: client_secret is required.",
                ));
            }
            let scopes = scopes_param(p, &client)?;
            let user = p.str("username").unwrap_or_default();
            let pass = p.str("password").unwrap_or_default();
            let gate = match rate_limits::login_gate(app, req, &user) {
                Ok(g) => g,
                Err(over) => return Ok(rate_limits::too_many(app, over)),
            };
            let Some(account) = check_login(app, &user, &pass).await? else {
                rate_limits::login_failed(app, gate);
                return Err(invalid_grant("Invalid username or password."));
            };
            if app.is_pending(account).await? {
                return Err(invalid_grant(PENDING_APPROVAL));
            }
            let scopes = super::token_access::scopes_for(app, account, &scopes).await?;
            let (tok, t) =
                issue_token(app, Some(client.client_id.clone()), Some(account), &scopes).await?;
            ok(token_json(&tok, &t))
        }
        "" => Err(ApiError::oauth(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: grant_type.",
        )),
        _ => Err(ApiError::oauth(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        )),
    }
}

fn scopes_param(p: &Params, client: &OAuthApp) -> Result<String, ApiError> {
    let invalid = |d: String| ApiError::oauth(StatusCode::BAD_REQUEST, "invalid_scope", d);
    let scopes = match p.nonempty("scope").or_else(|| p.nonempty("scopes")) {
        Some(s) => parse_scopes(&s).map_err(invalid)?,
        None => "read".to_owned(),
    };
    if !subset(&scopes, &client.scopes) {
        return Err(invalid(
            "The requested scope is invalid, unknown, or malformed.".into(),
        ));
    }
    Ok(scopes)
}

/// `POST /oauth/revoke` (RFC 7009: `200 {}` whether or not the token existed).
pub(crate) async fn revoke(app: &App, req: &http::Request<Bytes>, p: &Params) -> ApiResult {
    let (client, authenticated) = client_auth(app, req, p).await?;
    let token = p.str("token").unwrap_or_default();
    if token.is_empty() {
        return Err(ApiError::oauth(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: token.",
        ));
    }
    if !authenticated {
        return Err(ApiError::oauth(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed.",
        ));
    }
    let key = sha256_hex(&token);
    if let Some(t) = app.get::<Token>(NS_TOKENS, &key).await? {
        if t.client_id.as_deref() != Some(client.client_id.as_str()) {
            return Err(ApiError::oauth(
                StatusCode::FORBIDDEN,
                "unauthorized_client",
                "You are not authorized to revoke this token.",
            ));
        }
        app.store()
            .kv_delete(NS_TOKENS, key.as_bytes())
            .await
            .map_err(Error::from)?;
    }
    ok(json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_nest() {
        assert!(scopes_allow("read", "read:statuses"));
        assert!(scopes_allow("read:statuses write", "write:favourites"));
        assert!(!scopes_allow("read:statuses", "read:accounts"));
        assert!(!scopes_allow("read", "write:statuses"));
        assert!(scopes_allow("follow", "write:follows"));
        assert!(!scopes_allow("follow", "write:statuses"));
        assert!(scopes_allow("profile", "profile"));
        assert!(!scopes_allow("profile", "read:accounts"));
        assert_eq!(
            parse_scopes("read+write:statuses").as_deref(),
            Ok("read write:statuses")
        );
        assert_eq!(parse_scopes("").as_deref(), Ok("read"));
        assert!(parse_scopes("admin:everything").is_err());
        assert!(scopes_allow("admin:read", "admin:read:accounts"));
        assert!(!scopes_allow("admin:read", "admin:write:accounts"));
        assert!(!scopes_allow("read", "admin:read:accounts"));
        assert!(!scopes_allow("admin:read:reports", "admin:read:accounts"));
        assert!(subset("read:statuses", "read write"));
        assert!(!subset("write", "read"));
        assert!(!subset("read", "read:statuses"));
    }

    #[test]
    fn pkce_s256_matches_rfc7636_appendix_b() {
        assert!(pkce_ok(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        ));
        assert!(!pkce_ok(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj"
        ));
    }
}
