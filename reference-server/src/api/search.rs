//! `GET /api/v2/search`: accounts (handles resolved with WebFinger), statuses and accounts by
//! URL (fetched, signed, when `resolve=true`), hashtags.

use activitypub_core::AnyObject;
use http::StatusCode;
use serde_json::{json, Value};

use super::accounts::matching;
use super::responses::{ok, ApiError, ApiResult};
use super::{entities, Ctx};
use crate::app::{Account, App, Status};
use crate::error::Error;

enum Found {
    Account(Account),
    Status(Status),
}

/// A local status id in one of our URLs (`/@user/{id}` or `/users/{user}/statuses/{id}`).
fn local_status_id(app: &App, url: &str) -> Option<u64> {
    let rest = url.strip_prefix(app.base())?;
    let segs: Vec<&str> = rest.trim_matches('/').split('/').collect();
    match segs.as_slice() {
        [user, id] if user.starts_with('@') => id.parse().ok(),
        ["users", _, "statuses", id] => id.parse().ok(),
        _ => None,
    }
}

async fn by_url(app: &App, url: &str, resolve: bool) -> Result<Option<Found>, Error> {
    if let Some(s) = app.status_by_uri(url).await? {
        return Ok(Some(Found::Status(s)));
    }
    if let Some(id) = local_status_id(app, url) {
        if let Ok(s) = app.status(id).await {
            return Ok(Some(Found::Status(s)));
        }
    }
    if let Some(a) = app.account_by_iri(url).await? {
        return Ok(Some(Found::Account(a)));
    }
    if let Some(name) = url
        .strip_prefix(app.base())
        .and_then(|r| r.strip_prefix("/@"))
        .filter(|n| !n.contains('/'))
    {
        return Ok(app.account_by_acct(name).await?.map(Found::Account));
    }
    if !resolve || app.config().is_local_iri(url) {
        return Ok(None);
    }
    let mut budget = app.budget();
    let fetched = match app.engine().fetch(url, &mut budget).await {
        Ok(f) => f,
        Err(e) => {
            tracing::info!(%url, error = %e, "search: could not resolve");
            return Ok(None);
        }
    };
    match fetched.document {
        AnyObject::Actor(actor) => Ok(Some(Found::Account(
            app.upsert_remote_account(&actor).await?,
        ))),
        AnyObject::Object(o) => Ok(app.ingest_remote_status(&o, None).await?.map(Found::Status)),
        _ => Ok(None),
    }
}

/// `GET /api/v2/search` (`q`, `type`, `resolve`, `limit`, `offset`, `following`); without a
/// signed-in user, `offset` and `resolve=true` are refused with `401`, as on Mastodon.
pub(crate) async fn search(ctx: &Ctx<'_>) -> ApiResult {
    let viewer = ctx.viewer("read:search")?;
    let p = &ctx.p;
    let q = p
        .str("q")
        .ok_or_else(|| ApiError::bad_request("q is missing"))?;
    let q = q.trim().to_owned();
    let kind = p.nonempty("type");
    if let Some(k) = &kind {
        if !matches!(k.as_str(), "accounts" | "statuses" | "hashtags") {
            return Err(ApiError::bad_request(format!(
                "type: one of accounts, statuses, hashtags, not {k:?}"
            )));
        }
    }
    let want = |k: &str| kind.as_deref().is_none_or(|x| x == k);
    let limit = p.u64("limit")?.map_or(20, |l| (l as usize).clamp(1, 40));
    let offset = p.u64("offset")?;
    let resolve = p.flag("resolve")?;
    // Paging and resolving remote things need a signed-in user: 401 otherwise, as on
    // Mastodon.
    if viewer.is_none() {
        if offset.is_some() {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Search queries pagination is not supported without authentication",
            ));
        }
        if resolve {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "Search queries that resolve remote resources are not supported without authentication",
            ));
        }
    }
    let offset = offset.unwrap_or(0) as usize;
    let mut accounts: Vec<Account> = Vec::new();
    let mut statuses: Vec<Status> = Vec::new();
    let mut hashtags: Vec<Value> = Vec::new();
    if offset == 0 && !q.is_empty() {
        if q.starts_with("https://") || q.starts_with("http://") {
            match by_url(ctx.app, &q, resolve).await? {
                Some(Found::Account(a)) if want("accounts") => accounts.push(a),
                Some(Found::Status(s)) if want("statuses") => statuses.push(s),
                _ => {}
            }
        } else {
            if want("accounts") {
                let found = match matching(ctx.app, &q, resolve, limit).await {
                    Ok(f) => f,
                    // An unknown domain or a failed WebFinger finds nothing, as on Mastodon.
                    Err(e) if matches!(e, Error::Federation(_)) => {
                        tracing::info!(q = %q, error = %e, "search: could not resolve");
                        Vec::new()
                    }
                    Err(e) => return Err(e.into()),
                };
                accounts.extend(found.into_iter().filter(|a| !a.deleted));
            }
            let tag = q.trim_start_matches('#');
            if want("hashtags")
                && !tag.is_empty()
                && !tag.contains('@')
                && tag.chars().all(|c| c.is_alphanumeric() || c == '_')
                && !tag.chars().all(|c| c.is_ascii_digit())
            {
                hashtags.push(entities::tag(ctx.app, tag, viewer.map(|_| false)));
            }
        }
    }
    let mut visible = Vec::with_capacity(statuses.len());
    for s in statuses {
        if ctx.app.can_view(&s, viewer).await? {
            visible.push(s);
        }
    }
    let statuses = visible;
    if p.flag("following")? {
        if let Some(me) = viewer {
            let mut kept = Vec::new();
            for a in accounts {
                if ctx.app.is_following(me, a.id).await? {
                    kept.push(a);
                }
            }
            accounts = kept;
        }
    }
    accounts.truncate(limit);
    ok(json!({
        "accounts": entities::accounts(ctx.app, &accounts).await?,
        "statuses": entities::statuses(ctx.app, &statuses, viewer).await?,
        "hashtags": hashtags,
    }))
}
