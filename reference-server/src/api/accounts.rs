//! `/api/v1/accounts/…`.

use serde_json::{json, Value};

use super::params::path_id;
use super::responses::{ok, ApiError, ApiResult};
use super::{entities, Ctx};
use crate::app::List;
use crate::app::{Account, App};
use crate::error::Error;

/// A visible account by path id (404 for unknown, malformed or deleted ones, and for local
/// ones waiting for approval, as Mastodon's `check_account_approval`).
pub(crate) async fn find(app: &App, id: &str) -> Result<Account, ApiError> {
    let id = path_id(id)?;
    let a = app.account(id).await?;
    if a.deleted || (a.is_local() && app.is_pending(a.id).await?) {
        return Err(ApiError::not_found());
    }
    Ok(a)
}

/// `GET /api/v1/accounts/verify_credentials`.
pub(crate) async fn verify_credentials(ctx: &Ctx<'_>) -> ApiResult {
    let me = match ctx.user("read:accounts") {
        Ok(me) => me,
        Err(e) if e.status == http::StatusCode::FORBIDDEN => ctx.user("profile")?,
        Err(e) => return Err(e),
    };
    let a = ctx.app.account(me).await?;
    ok(entities::credential_account(ctx.app, &a).await?)
}

fn fields_param(v: &Value) -> Result<Vec<(String, String)>, ApiError> {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => {
            let mut pairs: Vec<(&String, &Value)> = o.iter().collect();
            pairs.sort_by_key(|(k, _)| k.parse::<u64>().unwrap_or(u64::MAX));
            pairs.into_iter().map(|(_, v)| v).collect()
        }
        _ => return Err(ApiError::bad_request("fields_attributes: expected a list")),
    };
    let mut out = Vec::new();
    for it in items {
        let name = it.get("name").and_then(Value::as_str).unwrap_or("").trim();
        let value = it.get("value").and_then(Value::as_str).unwrap_or("").trim();
        if name.is_empty() && value.is_empty() {
            continue;
        }
        if name.chars().count() > 255 || value.chars().count() > 255 {
            return Err(ApiError::unprocessable(
                "Validation failed: Fields are too long",
            ));
        }
        out.push((name.to_owned(), value.to_owned()));
    }
    if out.len() > 4 {
        return Err(ApiError::unprocessable(
            "Validation failed: Fields: at most 4",
        ));
    }
    Ok(out)
}

/// `PATCH /api/v1/accounts/update_credentials`.
pub(crate) async fn update_credentials(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("write:accounts")?;
    let p = &ctx.p;
    let display_name = p.str("display_name");
    if display_name
        .as_ref()
        .is_some_and(|d| d.chars().count() > 30)
    {
        return Err(ApiError::unprocessable(
            "Validation failed: Display name is too long (maximum is 30 characters)",
        ));
    }
    let note = p.str("note");
    if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(ApiError::unprocessable(
            "Validation failed: Note is too long (maximum is 500 characters)",
        ));
    }
    let locked = p.bool("locked")?;
    let fields = match p.get("fields_attributes") {
        Some(v) => Some(fields_param(v)?),
        None => None,
    };
    super::media::profile_images(ctx, me).await?;
    let a = ctx
        .app
        .update_profile(me, display_name, note, locked, fields)
        .await?;
    ok(entities::credential_account(ctx.app, &a).await?)
}

/// `GET /api/v1/accounts?id[]=…` (unknown ids are left out).
pub(crate) async fn many(ctx: &Ctx<'_>) -> ApiResult {
    ctx.viewer("read:accounts")?;
    let ids = ctx.p.list("id");
    if ids.len() > 40 {
        return Err(ApiError::unprocessable("at most 40 ids"));
    }
    let list = accounts_of(ctx.app, ids.iter().map(String::as_str).collect()).await?;
    ok(entities::accounts(ctx.app, &list).await?)
}

/// `GET /api/v1/accounts/:id`.
pub(crate) async fn get(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    ctx.viewer("read:accounts")?;
    let a = find(ctx.app, id).await?;
    ok(entities::account(ctx.app, &a).await?)
}

/// `GET /api/v1/accounts/:id/statuses`.
pub(crate) async fn statuses(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let viewer = ctx.viewer("read:statuses")?;
    let a = find(ctx.app, id).await?;
    if let Some(v) = viewer {
        if ctx.app.blocks(a.id, v).await? {
            return ok(json!([]));
        }
    }
    let p = &ctx.p;
    let req = p.page(20, 40)?;
    let only_media = p.flag("only_media")?;
    let exclude_replies = p.flag("exclude_replies")?;
    let exclude_reblogs = p.flag("exclude_reblogs")?;
    let tagged = p
        .nonempty("tagged")
        .map(|t| t.trim_start_matches('#').to_lowercase());
    let collection = if p.flag("pinned")? {
        List::Pinned(a.id)
    } else {
        List::StatusesOf(a.id)
    };
    let (list, page) =
        super::timelines::filtered_page(ctx.app, &collection, &req, viewer, only_media, |s| {
            (!only_media || !s.media_ids.is_empty())
                && (!exclude_replies
                    || s.in_reply_to_id.is_none()
                    || s.in_reply_to_account_id == Some(s.account_id))
                && (!exclude_reblogs || s.reblog_of_id.is_none())
                && tagged
                    .as_ref()
                    .is_none_or(|t| s.tags.iter().any(|x| x.to_lowercase() == *t))
        })
        .await?;
    let body = entities::statuses_in(
        ctx.app,
        &list,
        viewer,
        Some(crate::app::filters::FilterContext::Account),
    )
    .await?;
    ctx.paged(body, &page)
}

/// `GET /api/v1/accounts/:id/followers` and `/following`.
pub(crate) async fn followers(ctx: &Ctx<'_>, id: &str, followers: bool) -> ApiResult {
    ctx.viewer("read:accounts")?;
    let a = find(ctx.app, id).await?;
    let req = ctx.p.page(40, 80)?;
    let collection = if followers {
        List::Followers(a.id)
    } else {
        List::Following(a.id)
    };
    let page = ctx.app.page(&collection, &req).await?;
    let list = accounts_of(ctx.app, page.members()).await?;
    let body = entities::accounts(ctx.app, &list).await?;
    ctx.paged(body, &page)
}

/// The accounts of a list of id strings (read in one store call), skipping unknown and
/// deleted ones.
pub(crate) async fn accounts_of(app: &App, ids: Vec<&str>) -> Result<Vec<Account>, Error> {
    let ids: Vec<u64> = ids.iter().filter_map(|m| m.parse().ok()).collect();
    Ok(app
        .accounts_by_id(&ids)
        .await?
        .into_iter()
        .flatten()
        .filter(|a| !a.deleted)
        .collect())
}

/// `POST /api/v1/accounts/:id/{follow,unfollow,block,unblock,mute,unmute}`.
pub(crate) async fn action(ctx: &Ctx<'_>, id: &str, action: &str) -> ApiResult {
    let scope = match action {
        "follow" | "unfollow" | "remove_from_followers" => "write:follows",
        "block" | "unblock" => "write:blocks",
        "mute" | "unmute" => "write:mutes",
        "note" | "pin" | "unpin" | "endorse" | "unendorse" => "write:accounts",
        _ => return Err(ApiError::new(http::StatusCode::NOT_FOUND, "Not found")),
    };
    let me = ctx.user(scope)?;
    let target = find(ctx.app, id).await?;
    let app = ctx.app;
    let rel = match action {
        "follow" => {
            if target.id == me {
                return Err(ApiError::unprocessable(
                    "Validation failed: You cannot follow yourself",
                ));
            }
            app.follow(me, target.id).await?
        }
        "unfollow" => app.unfollow(me, target.id).await?,
        "block" => {
            if target.id == me {
                return Err(ApiError::unprocessable(
                    "Validation failed: You cannot block yourself",
                ));
            }
            app.block(me, target.id).await?
        }
        "unblock" => app.unblock(me, target.id).await?,
        "mute" => {
            if target.id == me {
                return Err(ApiError::unprocessable(
                    "Validation failed: You cannot mute yourself",
                ));
            }
            // `notifications` (default true) and `duration` in seconds (0: indefinite).
            let notifications = ctx.p.bool("notifications")?.unwrap_or(true);
            let duration = ctx.p.u64("duration")?;
            app.mute(me, target.id, notifications, duration).await?
        }
        "unmute" => app.unmute(me, target.id).await?,
        _ => {
            return Err(ApiError::unprocessable(format!(
                "{action} is not supported by this server"
            )))
        }
    };
    ok(entities::relationship(&rel))
}

/// `GET /api/v1/accounts/relationships?id[]=…`.
pub(crate) async fn relationships(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:follows")?;
    let mut out = Vec::new();
    for id in ctx.p.list("id") {
        let Ok(id) = id.parse::<u64>() else { continue };
        match ctx.app.relationship(me, id).await {
            Ok(r) => out.push(entities::relationship(&r)),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
    }
    ok(Value::Array(out))
}

/// `GET /api/v1/accounts/lookup?acct=`.
pub(crate) async fn lookup(ctx: &Ctx<'_>) -> ApiResult {
    ctx.viewer("read:accounts")?;
    let acct = ctx
        .p
        .nonempty("acct")
        .ok_or_else(|| ApiError::bad_request("acct is missing"))?;
    match ctx.app.resolve_handle(&acct, false).await? {
        Some(a) if !a.deleted => ok(entities::account(ctx.app, &a).await?),
        _ => Err(ApiError::not_found()),
    }
}

/// Accounts matching `q`: a handle (resolved with WebFinger when `resolve`), or a
/// case-insensitive part of a local username or display name.
pub(crate) async fn matching(
    app: &App,
    q: &str,
    resolve: bool,
    limit: usize,
) -> Result<Vec<Account>, Error> {
    let q = q.trim();
    let handle = q.trim_start_matches('@');
    let mut out: Vec<Account> = Vec::new();
    if handle.contains('@') || (q.starts_with('@') && !handle.is_empty()) {
        if let Some(a) = app.resolve_handle(handle, resolve).await? {
            out.push(a);
        }
        return Ok(out);
    }
    if handle.is_empty() {
        return Ok(out);
    }
    let needle = handle.to_lowercase();
    if let Some(a) = app.account_by_acct(&needle).await? {
        out.push(a);
    }
    for a in app.local_accounts().await? {
        if out.len() >= limit {
            break;
        }
        if a.deleted || out.iter().any(|o| o.id == a.id) {
            continue;
        }
        if a.username.to_lowercase().contains(&needle)
            || a.display_name.to_lowercase().contains(&needle)
        {
            out.push(a);
        }
    }
    out.truncate(limit);
    Ok(out)
}

/// `GET /api/v1/accounts/search?q=`.
pub(crate) async fn search(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:accounts")?;
    let q = ctx
        .p
        .str("q")
        .ok_or_else(|| ApiError::bad_request("q is missing"))?;
    let limit = ctx
        .p
        .u64("limit")?
        .map_or(40, |l| (l as usize).clamp(1, 80));
    let resolve = ctx.p.flag("resolve")?;
    let mut list = matching(ctx.app, &q, resolve, limit).await?;
    if ctx.p.flag("following")? {
        let mut kept = Vec::new();
        for a in list {
            if ctx.app.is_following(me, a.id).await? {
                kept.push(a);
            }
        }
        list = kept;
    }
    ok(entities::accounts(ctx.app, &list).await?)
}
