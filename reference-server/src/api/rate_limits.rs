//! The client API's rate limits, as Mastodon applies them (its Rack::Attack throttles and its
//! per-account `RateLimiter` families): every request under `/api/` counts against its token
//! and its account, or its client address without a signed-in account; uploads, deletes,
//! new statuses, follows and sign-ups count against their own limits too. Every answer
//! carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` of the limit
//! closest to being reached; past a limit the answer is Mastodon's `429`.

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode};

use super::oauth::Token;
use crate::app::App;
use crate::http::routes::{Api, Matched};
use crate::limits::{self, Peer, Standing, WindowCounter};

/// Mastodon's body of a `429` (`errors.429` of its locale).
pub(crate) const TOO_MANY: &str = "Too many requests";

/// A per-account family of actions that counts only when it succeeds: a refused post
/// (`422`) is taken back, as Mastodon's `RateLimiter` rolls back.
#[derive(Debug, Clone, Copy)]
enum Family {
    Media,
    Deletes,
    Statuses,
    Follows,
}

impl Family {
    fn counter(self, l: &limits::Limiter) -> &WindowCounter<u64> {
        match self {
            Family::Media => &l.media_uploads,
            Family::Deletes => &l.deletes,
            Family::Statuses => &l.statuses,
            Family::Follows => &l.follows,
        }
    }
}

/// What a request was charged: the standing shown in its headers.
#[derive(Debug, Default)]
pub(crate) struct Charge {
    shown: Option<Standing>,
}

/// What a request was charged in its family, to take back if the action fails.
#[derive(Debug)]
pub(crate) struct FamilyCharge {
    family: Family,
    account: u64,
    standing: Standing,
}

/// The family a request to `route` belongs to, if any (a scheduled status is not a status
/// yet, as in Mastodon).
fn family_of(method: &Method, route: Api, m: &Matched, scheduled: bool) -> Option<Family> {
    match (method, route) {
        (&Method::POST, Api::Media | Api::V2Media) => Some(Family::Media),
        (&Method::DELETE, Api::Status) => Some(Family::Deletes),
        (&Method::POST, Api::StatusAction) if m.param("action") == "unreblog" => {
            Some(Family::Deletes)
        }
        (&Method::POST, Api::Statuses) if !scheduled => Some(Family::Statuses),
        (&Method::POST, Api::AccountAction) if m.param("action") == "follow" => {
            Some(Family::Follows)
        }
        _ => None,
    }
}

/// Counts a request under `/api/` against the limits that apply to it: `Err` with the
/// standing of the limit it passed. `token_key` identifies the token (a hash of it).
pub(crate) fn charge(
    app: &App,
    req: &http::Request<Bytes>,
    route: Api,
    token: Option<&Token>,
    token_key: Option<u64>,
) -> Result<Charge, Standing> {
    let l = app.limits();
    if !l.enabled() || !req.uri().path().starts_with("/api/") {
        return Ok(Charge::default());
    }
    let now = app.now_ms();
    let ip = l.client_ip(req.headers(), req.extensions().get::<Peer>().map(|p| p.0));
    let account = token.and_then(|t| t.account_id);
    let mut shown: Option<Standing> = None;
    let mut take = |c: &WindowCounter<u64>, key: u64| -> Result<(), Standing> {
        count(&mut shown, c, key, now)
    };
    if let Some(key) = token.and(token_key) {
        take(&l.api_per_token, key)?;
    }
    if let Some(a) = account {
        take(&l.api_per_account, a)?;
    }
    if let Some(ip) = ip {
        if account.is_none() {
            count(&mut shown, &l.api_per_ip, ip, now)?;
        }
        if req.method() == Method::POST && route == Api::Accounts {
            count(&mut shown, &l.sign_ups, ip, now)?;
        }
    }
    Ok(Charge { shown })
}

/// Counts a request against its per-account family (once its parameters are read: whether
/// a status is scheduled is one of them): `Err` with the standing past the limit.
pub(crate) fn charge_family(
    app: &App,
    req: &http::Request<Bytes>,
    route: Api,
    m: &Matched,
    account: Option<u64>,
    scheduled: bool,
) -> Result<Option<FamilyCharge>, Standing> {
    let l = app.limits();
    let (Some(account), true) = (account, l.enabled()) else {
        return Ok(None);
    };
    let Some(family) = family_of(req.method(), route, m, scheduled) else {
        return Ok(None);
    };
    let counter = family.counter(l);
    if !counter.is_on() {
        return Ok(None);
    }
    let standing = counter.hit(account, app.now_ms());
    if standing.exceeded() {
        return Err(standing);
    }
    Ok(Some(FamilyCharge {
        family,
        account,
        standing,
    }))
}

/// Whether an upload would pass its family's limit, looked at before its body is read (so
/// that a refused upload is not written first); counted later by [`charge_family`].
pub(crate) fn family_full(
    app: &App,
    req: &http::Request<Bytes>,
    route: Api,
    m: &Matched,
    account: Option<u64>,
) -> Result<(), Standing> {
    let l = app.limits();
    let (Some(account), true) = (account, l.enabled()) else {
        return Ok(());
    };
    match family_of(req.method(), route, m, false) {
        Some(f) if f.counter(l).is_on() => {
            let s = f.counter(l).peek(account, app.now_ms());
            if s.count >= s.limit {
                return Err(Standing {
                    count: s.count + 1,
                    ..s
                });
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Takes a failed action back from its family, and shows the family's standing if it has
/// fewer left than what the response shows.
pub(crate) fn finish_family(app: &App, charge: &FamilyCharge, response: &mut Response<Bytes>) {
    if !response.status().is_success() {
        charge
            .family
            .counter(app.limits())
            .undo(charge.account, app.now_ms());
    }
    let s = charge.standing;
    set_headers(response, s.limit, s.remaining(), s.reset_ms);
}

/// One hit of `key` on `counter` (if it limits anything); keeps in `shown` the standing
/// with the fewest left.
fn count<K: std::hash::Hash + Eq + Copy>(
    shown: &mut Option<Standing>,
    counter: &WindowCounter<K>,
    key: K,
    now_ms: u64,
) -> Result<(), Standing> {
    if !counter.is_on() {
        return Ok(());
    }
    let s = counter.hit(key, now_ms);
    if s.exceeded() {
        return Err(s);
    }
    if shown.is_none_or(|o| s.remaining() < o.remaining()) {
        *shown = Some(s);
    }
    Ok(())
}

/// Puts the charge's headers on `response`, unless it shows a limit with fewer left (its
/// family's).
pub(crate) fn finish(charge: &Charge, response: &mut Response<Bytes>) {
    let Some(s) = charge.shown else {
        return;
    };
    let shown = response
        .headers()
        .get("x-ratelimit-remaining")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u32>().ok());
    if shown.is_none_or(|n| s.remaining() < n) {
        set_headers(response, s.limit, s.remaining(), s.reset_ms);
    }
}

/// `X-RateLimit-Limit`, `-Remaining` and `-Reset`.
pub(crate) fn set_headers(response: &mut Response<Bytes>, limit: u32, remaining: u32, reset: u64) {
    let h = response.headers_mut();
    h.insert("x-ratelimit-limit", HeaderValue::from(limit));
    h.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    if let Ok(v) = HeaderValue::from_str(&limits::reset_header(reset)) {
        h.insert("x-ratelimit-reset", v);
    }
}

/// Mastodon's `429`: `{"error": "Too many requests"}`, the limit's headers with nothing
/// remaining, and `Retry-After` (seconds to the window's end).
pub(crate) fn too_many(app: &App, s: Standing) -> Response<Bytes> {
    let mut r = crate::http::json_error(StatusCode::TOO_MANY_REQUESTS, TOO_MANY);
    set_headers(&mut r, s.limit, 0, s.reset_ms);
    retry_after(&mut r, s.reset_ms.saturating_sub(app.now_ms()));
    r
}

/// `Retry-After` in whole seconds (at least 1) for `ms`.
pub(crate) fn retry_after(response: &mut Response<Bytes>, ms: u64) {
    response.headers_mut().insert(
        http::header::RETRY_AFTER,
        HeaderValue::from(ms.div_ceil(1000).max(1)),
    );
}

/// Who a sign-in attempt is counted against: its client address and account name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoginGate {
    ip: Option<std::net::IpAddr>,
    name: u64,
}

/// Whether a sign-in to `username` from the request's address may be tried: `Err` with the
/// standing of the failure count it passed (per address or per account name). Only failures
/// count ([`login_failed`]), and each count ends with its window, so a correct password is
/// never refused for longer than a window (an hour by default), and never at all from
/// another address unless the account itself was hammered.
pub(crate) fn login_gate(
    app: &App,
    req: &http::Request<Bytes>,
    username: &str,
) -> Result<LoginGate, Standing> {
    let l = app.limits();
    let name = username.trim().trim_start_matches('@').to_lowercase();
    let local = format!("@{}", app.config().domain().to_lowercase());
    let name = name.strip_suffix(&local).unwrap_or(&name);
    let gate = LoginGate {
        ip: l.client_ip(req.headers(), req.extensions().get::<Peer>().map(|p| p.0)),
        name: l.key_of(name),
    };
    if !l.enabled() {
        return Ok(gate);
    }
    let now = app.now_ms();
    if let Some(ip) = gate.ip.filter(|_| l.login_per_ip.is_on()) {
        let s = l.login_per_ip.peek(ip, now);
        if s.count >= s.limit {
            return Err(s);
        }
    }
    if l.login_per_account.is_on() {
        let s = l.login_per_account.peek(gate.name, now);
        if s.count >= s.limit {
            return Err(s);
        }
    }
    Ok(gate)
}

/// Counts a failed sign-in.
pub(crate) fn login_failed(app: &App, gate: LoginGate) {
    let l = app.limits();
    if !l.enabled() {
        return;
    }
    let now = app.now_ms();
    if let Some(ip) = gate.ip.filter(|_| l.login_per_ip.is_on()) {
        l.login_per_ip.hit(ip, now);
    }
    if l.login_per_account.is_on() {
        l.login_per_account.hit(gate.name, now);
    }
}
