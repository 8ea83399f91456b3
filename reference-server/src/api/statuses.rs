//! `/api/v1/statuses/…`.

use http::StatusCode;
use serde_json::{json, Value};

use super::accounts::accounts_of;
use super::oauth::token_app;
use super::params::path_id;
use super::responses::ok;
use super::responses::{ApiError, ApiResult};
use super::{entities, Ctx};
use crate::app::List;
use crate::app::NewStatus;
use crate::app::{App, Status, StatusApplication, StatusVisibility};

/// A status `viewer` may see (404 otherwise, as Mastodon hides what you cannot see).
pub(crate) async fn visible(app: &App, id: &str, viewer: Option<u64>) -> Result<Status, ApiError> {
    let id = path_id(id)?;
    let s = app.status(id).await?;
    if !app.can_view(&s, viewer).await? {
        return Err(ApiError::not_found());
    }
    if let Some(of) = s.reblog_of_id {
        let original = app.status(of).await?;
        if !app.can_view(&original, viewer).await? {
            return Err(ApiError::not_found());
        }
    }
    Ok(s)
}

async fn own(app: &App, id: &str, me: u64) -> Result<Status, ApiError> {
    let s = app.status(path_id(id)?).await?;
    if s.account_id != me {
        return Err(ApiError::not_found());
    }
    Ok(s)
}

/// `media_ids` (`None` if not sent): an id that is not a number names no media (`422`, as
/// an unknown one).
fn media_ids(ctx: &Ctx<'_>) -> Result<Option<Vec<u64>>, ApiError> {
    if ctx.p.get("media_ids").is_none() && ctx.p.get("media_ids[]").is_none() {
        return Ok(None);
    }
    let raw = ctx.p.list("media_ids");
    let mut out = Vec::with_capacity(raw.len());
    for r in raw {
        out.push(r.trim().parse::<u64>().map_err(|_| {
            ApiError::unprocessable(format!(
                "Validation failed: Media with IDs {r} not found or already attached to another post"
            ))
        })?);
    }
    Ok(Some(out))
}

/// One of `media_attributes[]`: id, description, focal point.
type MediaAttribute = (u64, Option<String>, Option<crate::app::media::Focus>);

/// `media_attributes[]` of an edit: `(id, description, focus)` of each.
fn media_attributes(ctx: &Ctx<'_>) -> Result<Vec<MediaAttribute>, ApiError> {
    let items: Vec<&Value> = match ctx
        .p
        .get("media_attributes")
        .or(ctx.p.get("media_attributes[]"))
    {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(Value::Object(o)) => o.values().collect(),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for item in items {
        let Some(id) = item.get("id").and_then(|v| match v {
            Value::String(s) => s.parse::<u64>().ok(),
            Value::Number(n) => n.as_u64(),
            _ => None,
        }) else {
            return Err(ApiError::unprocessable(
                "media_attributes: an id is missing",
            ));
        };
        let description = item
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let focus = match item.get("focus").and_then(Value::as_str) {
            Some(f) if !f.is_empty() => Some(crate::app::media::parse_focus(f)?),
            _ => None,
        };
        out.push((id, description, focus));
    }
    Ok(out)
}

/// `poll[options][]`, `poll[expires_in]`, `poll[multiple]`, `poll[hide_totals]` (form) or
/// `{"poll": {…}}` (JSON); `None` when no poll is sent. Limits are checked by the app (`422`).
fn new_poll(ctx: &Ctx<'_>) -> Result<Option<crate::app::NewPoll>, ApiError> {
    let fields = match ctx.p.get("poll") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(ApiError::unprocessable("poll: not an object")),
    };
    let p = super::params::Params::nested(fields);
    let expires_in = p
        .u64("expires_in")
        .map_err(|_| ApiError::unprocessable("Validation failed: Poll expires in is not a number"))?
        .ok_or_else(|| {
            ApiError::unprocessable("Validation failed: Poll expires in can't be blank")
        })?;
    Ok(Some(crate::app::NewPoll {
        options: p.list("options"),
        expires_in,
        multiple: p.flag("multiple")?,
        hide_totals: p.flag("hide_totals")?,
    }))
}

/// `POST /api/v1/statuses`.
pub(crate) async fn create(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("write:statuses")?;
    let p = &ctx.p;
    let media_ids = media_ids(ctx)?.unwrap_or_default();
    let poll = new_poll(ctx)?;
    let scheduled_at = match p.nonempty("scheduled_at") {
        Some(raw) => Some(super::scheduled::parse_scheduled_at(&raw)?),
        None => None,
    };
    let visibility = match p.nonempty("visibility") {
        Some(v) => Some(StatusVisibility::parse(&v).ok_or_else(|| {
            ApiError::unprocessable(format!(
                "Validation failed: Visibility {v:?} is not one of public, unlisted, private, direct"
            ))
        })?),
        None => None,
    };
    let in_reply_to_id = match p.nonempty("in_reply_to_id") {
        Some(s) => Some(path_id(&s)?),
        None => None,
    };
    let quoted_status_id = match p.nonempty("quoted_status_id") {
        Some(s) => Some(path_id(&s)?),
        None => None,
    };
    let idempotency_key = ctx
        .req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty() && k.len() <= 256)
        .map(str::to_owned);
    let new = NewStatus {
        text: p.str("status").unwrap_or_default(),
        in_reply_to_id,
        sensitive: p.flag("sensitive")?,
        spoiler_text: p.str("spoiler_text").unwrap_or_default(),
        visibility,
        language: p.nonempty("language"),
        idempotency_key,
        media_ids,
        poll,
        quoted_status_id,
    };
    // A time in the past posts now, as on Mastodon; a future one schedules.
    if let Some(at) = scheduled_at.filter(|at| *at > ctx.app.now().as_unix_millis()) {
        return super::scheduled::schedule(ctx, me, new, at).await;
    }
    let s = ctx.app.post_status(me, new).await?;
    if let Some(t) = &ctx.token {
        if ctx.app.status_application(s.id).await?.is_none() {
            let application = match token_app(ctx.app, t).await? {
                Some(a) => StatusApplication {
                    name: a.name,
                    website: a.website,
                },
                None => StatusApplication {
                    name: "woolly".into(),
                    website: None,
                },
            };
            ctx.app.set_status_application(s.id, &application).await?;
        }
    }
    ok(entities::status(ctx.app, &s, Some(me)).await?)
}

/// `GET /api/v1/statuses?id[]=…` (unknown and invisible ones are left out).
pub(crate) async fn many(ctx: &Ctx<'_>) -> ApiResult {
    let viewer = ctx.viewer("read:statuses")?;
    let ids = ctx.p.list("id");
    if ids.len() > 40 {
        return Err(ApiError::unprocessable("at most 40 ids"));
    }
    let mut list = Vec::new();
    for id in ids {
        match visible(ctx.app, &id, viewer).await {
            Ok(s) => list.push(s),
            Err(e) if e.status == StatusCode::NOT_FOUND => {}
            Err(e) => return Err(e),
        }
    }
    ok(entities::statuses(ctx.app, &list, viewer).await?)
}

/// `GET /api/v1/statuses/:id`.
pub(crate) async fn get(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let viewer = ctx.viewer("read:statuses")?;
    let s = visible(ctx.app, id, viewer).await?;
    ok(entities::status(ctx.app, &s, viewer).await?)
}

/// `GET /api/v1/statuses/:id/card` (deprecated by Mastodon, still answered): the status's
/// preview card, or `{}` when it has none.
pub(crate) async fn card(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let viewer = ctx.viewer("read:statuses")?;
    let s = visible(ctx.app, id, viewer).await?;
    let l = ctx
        .app
        .load_statuses(std::slice::from_ref(&s), viewer)
        .await?;
    match s.card_url.as_deref().and_then(|u| l.card(u)) {
        Some(c) => ok(entities::to_json(&entities::PreviewCard::new(
            ctx.app, c, &l,
        ))?),
        None => ok(json!({})),
    }
}

/// `DELETE /api/v1/statuses/:id`: the deleted status, with its `text` (for redrafting).
pub(crate) async fn delete(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("write:statuses")?;
    let s = own(ctx.app, id, me).await?;
    let mut v = entities::status(ctx.app, &s, Some(me)).await?;
    v["text"] = json!(s
        .text
        .clone()
        .unwrap_or_else(|| crate::app::render::strip_html(&s.content)));
    ctx.app.delete_status(me, s.id).await?;
    ok(v)
}

/// `PUT /api/v1/statuses/:id`.
pub(crate) async fn edit(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("write:statuses")?;
    let s = own(ctx.app, id, me).await?;
    if s.reblog_of_id.is_some() {
        return Err(ApiError::not_found());
    }
    let media_ids = media_ids(ctx)?;
    let attributes = media_attributes(ctx)?;
    let p = &ctx.p;
    let text = p.str("status").unwrap_or_default();
    let limit = ctx.app.config().max_characters;
    let spoiler = p.str("spoiler_text");
    let chars = text.chars().count()
        + spoiler
            .as_deref()
            .unwrap_or(&s.spoiler_text)
            .chars()
            .count();
    if chars > limit {
        return Err(ApiError::unprocessable(format!(
            "Validation failed: Text character limit of {limit} exceeded"
        )));
    }
    let edited = ctx
        .app
        .edit_status(
            me,
            s.id,
            &text,
            spoiler,
            p.bool("sensitive")?,
            p.nonempty("language"),
            media_ids,
            attributes,
        )
        .await?;
    ok(entities::status(ctx.app, &edited, Some(me)).await?)
}

/// `GET /api/v1/statuses/:id/context`.
pub(crate) async fn context(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let viewer = ctx.viewer("read:statuses")?;
    let s = visible(ctx.app, id, viewer).await?;
    let (ancestors, descendants) = ctx.app.context(s.id, viewer).await?;
    let thread = Some(crate::app::filters::FilterContext::Thread);
    ok(json!({
        "ancestors": entities::statuses_in(ctx.app, &ancestors, viewer, thread).await?,
        "descendants": entities::statuses_in(ctx.app, &descendants, viewer, thread).await?,
    }))
}

/// `GET /api/v1/statuses/:id/favourited_by` and `/reblogged_by`.
pub(crate) async fn who(ctx: &Ctx<'_>, id: &str, favourited: bool) -> ApiResult {
    let viewer = ctx.viewer("read:accounts")?;
    let s = visible(ctx.app, id, viewer).await?;
    let req = ctx.p.page(40, 80)?;
    let collection = if favourited {
        List::FavouritedBy(s.id)
    } else {
        List::RebloggedBy(s.id)
    };
    let page = ctx.app.page(&collection, &req).await?;
    let list = accounts_of(ctx.app, page.members()).await?;
    let body = entities::accounts(ctx.app, &list).await?;
    ctx.paged(body, &page)
}

/// `GET /api/v1/statuses/:id/history`: every version, oldest first.
pub(crate) async fn history(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let viewer = ctx.viewer("read:statuses")?;
    let s = visible(ctx.app, id, viewer).await?;
    let author = ctx.app.account(s.account_id).await?;
    let account = entities::account_entity(ctx.app, &author).await?;
    let current = crate::app::model::Edit {
        content: s.content.clone(),
        spoiler_text: s.spoiler_text.clone(),
        sensitive: s.sensitive,
        created_at: s.edited_at.unwrap_or(s.created_at),
        media_ids: s.media_ids.clone(),
    };
    let mut ids: Vec<u64> = s
        .edits
        .iter()
        .chain([&current])
        .flat_map(|e| e.media_ids.iter().copied())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let media: Vec<_> = ctx
        .app
        .media_by_id(&ids)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let out: Vec<Value> = s
        .edits
        .iter()
        .chain([&current])
        .map(|e| entities::status_edit(ctx.app, e, &account, &media))
        .collect::<Result<_, _>>()?;
    ok(Value::Array(out))
}

/// `GET /api/v1/statuses/:id/source`.
pub(crate) async fn source(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("read:statuses")?;
    let s = own(ctx.app, id, me).await?;
    ok(json!({
        "id": s.id.to_string(),
        "text": s.text.clone().unwrap_or_else(|| crate::app::render::strip_html(&s.content)),
        "spoiler_text": s.spoiler_text,
    }))
}

/// `POST /api/v1/statuses/:id/{favourite,unfavourite,reblog,unreblog,pin,unpin,bookmark,
/// unbookmark,mute,unmute}`.
pub(crate) async fn action(ctx: &Ctx<'_>, id: &str, action: &str) -> ApiResult {
    let scope = match action {
        "favourite" | "unfavourite" => "write:favourites",
        "reblog" | "unreblog" => "write:statuses",
        "pin" | "unpin" => "write:accounts",
        "bookmark" | "unbookmark" => "write:bookmarks",
        "mute" | "unmute" => "write:mutes",
        "translate" => "read:statuses",
        _ => return Err(ApiError::new(StatusCode::NOT_FOUND, "Not found")),
    };
    let me = ctx.user(scope)?;
    let app = ctx.app;
    if action == "unbookmark" {
        // A bookmark is removed even when its status can no longer be seen.
        let original = app.original_of(app.status(path_id(id)?).await?).await?;
        if !app.is_bookmarked(me, original.id).await? {
            visible(app, id, Some(me)).await?;
        }
        let s = app.unbookmark(me, original.id).await?;
        return ok(entities::status(app, &s, Some(me)).await?);
    }
    let s = visible(app, id, Some(me)).await?;
    let shown = match action {
        "favourite" => app.favourite(me, s.id).await?,
        "unfavourite" => app.unfavourite(me, s.id).await?,
        "reblog" => app.reblog(me, s.id).await?,
        "unreblog" => {
            let original = s.reblog_of_id.unwrap_or(s.id);
            app.unreblog(me, original).await?;
            app.status(original).await?
        }
        "pin" => app.pin(me, s.id).await?,
        "unpin" => app.unpin(me, s.id).await?,
        "bookmark" => app.bookmark(me, s.id).await?,
        "mute" => app.mute_thread(me, s.id).await?,
        "unmute" => app.unmute_thread(me, s.id).await?,
        other => {
            return Err(ApiError::unprocessable(format!(
                "{other} is not supported by this server"
            )))
        }
    };
    // Re-read for fresh counts (the wrapper of a reblog stays as returned).
    let fresh = match app.status(shown.id).await {
        Ok(f) => f,
        Err(e) if e.is_not_found() => shown,
        Err(e) => return Err(e.into()),
    };
    ok(entities::status(app, &fresh, Some(me)).await?)
}
