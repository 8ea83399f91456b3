//! Filters: `/api/v2/filters` with `/keywords` and `/statuses`, one keyword or status at
//! `/api/v2/filters/keywords/:id` and `/api/v2/filters/statuses/:id` (Mastodon's routes; also
//! at `/api/v2/filter_keywords/:id` and `/api/v2/filter_statuses/:id`), and the v1 `/api/v1/filters` older apps use, which shows
//! each keyword as a filter of its own, as Mastodon maps v1 onto v2 (`V1::FiltersController`).

use http::Method;
use serde_json::{json, Map, Value};

use super::entities::filter::{Filter, FilterKeyword, FilterStatus, V1Filter};
use super::entities::to_json;
use super::params::{path_id, Params};
use super::responses::{ok, ApiError, ApiResult};
use super::Ctx;
use crate::app::filters::{self, FilterChanges, KeywordChange};
use crate::http::routes::Api;

/// Answers every filter path.
pub(crate) async fn answer(ctx: &Ctx<'_>, m: &Method, route: Api, id: &str) -> ApiResult {
    use Api as A;
    use Method as M;
    match (m, route) {
        (&M::GET, A::V2Filters) => index(ctx).await,
        (&M::POST, A::V2Filters) => create(ctx).await,
        (&M::GET, A::V2Filter) => show(ctx, id).await,
        (&M::PUT | &M::PATCH, A::V2Filter) => update(ctx, id).await,
        (&M::DELETE, A::V2Filter) => delete(ctx, id).await,
        (&M::GET, A::V2FilterKeywords) => keywords(ctx, id).await,
        (&M::POST, A::V2FilterKeywords) => add_keyword(ctx, id).await,
        (&M::GET, A::V2FilterKeyword) => keyword(ctx, id).await,
        (&M::PUT | &M::PATCH, A::V2FilterKeyword) => update_keyword(ctx, id).await,
        (&M::DELETE, A::V2FilterKeyword) => delete_keyword(ctx, id).await,
        (&M::GET, A::V2FilterStatuses) => statuses(ctx, id).await,
        (&M::POST, A::V2FilterStatuses) => add_status(ctx, id).await,
        (&M::GET, A::V2FilterStatus) => status(ctx, id).await,
        (&M::DELETE, A::V2FilterStatus) => delete_status(ctx, id).await,
        (&M::GET, A::Filters) => v1_index(ctx).await,
        (&M::POST, A::Filters) => v1_create(ctx).await,
        (&M::GET, A::Filter) => v1_show(ctx, id).await,
        (&M::PUT | &M::PATCH, A::Filter) => v1_update(ctx, id).await,
        (&M::DELETE, A::Filter) => v1_delete(ctx, id).await,
        _ => Err(ApiError::new(http::StatusCode::NOT_FOUND, "Not found")),
    }
}

fn filter_json(f: &filters::Filter) -> Result<Value, ApiError> {
    Ok(to_json(&Filter::new(f, true))?)
}

/// `expires_in`: absent (`None`), empty or `null` (`Some(None)`: never), or seconds.
fn expires_in(p: &Params) -> Result<Option<Option<u64>>, ApiError> {
    match p.0.get("expires_in") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if s.is_empty() => Ok(Some(None)),
        Some(_) => Ok(Some(p.u64("expires_in")?)),
    }
}

/// `keywords_attributes`: an array of objects, or an object keyed by index (form
/// `keywords_attributes[0][keyword]`).
fn keyword_changes(p: &Params) -> Result<Vec<KeywordChange>, ApiError> {
    let items: Vec<Map<String, Value>> = match p
        .get("keywords_attributes")
        .or_else(|| p.get("keywords_attributes[]"))
    {
        None => return Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| match v {
                Value::Object(o) => Ok(o.clone()),
                _ => Err(ApiError::unprocessable(
                    "keywords_attributes: each must be an object",
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(Value::Object(o)) => o.values().filter_map(|v| v.as_object().cloned()).collect(),
        Some(_) => {
            return Err(ApiError::unprocessable(
                "keywords_attributes: not a list of keywords",
            ))
        }
    };
    items
        .into_iter()
        .map(|o| {
            let k = Params::nested(o);
            Ok(KeywordChange {
                id: match k.str("id") {
                    None => None,
                    Some(s) if s.is_empty() => None,
                    Some(s) => Some(s.parse().map_err(|_| ApiError::not_found())?),
                },
                keyword: k.str("keyword"),
                whole_word: k.bool("whole_word")?,
                destroy: k.flag("_destroy")?,
            })
        })
        .collect()
}

fn changes(ctx: &Ctx<'_>, creating: bool) -> Result<FilterChanges, ApiError> {
    let context = if ctx.p.get("context").is_some() || ctx.p.get("context[]").is_some() {
        Some(ctx.p.list("context"))
    } else if creating {
        Some(Vec::new())
    } else {
        None
    };
    Ok(FilterChanges {
        title: ctx.p.str("title"),
        context,
        action: ctx.p.str("filter_action"),
        expires_in: expires_in(&ctx.p)?,
        keywords: keyword_changes(&ctx.p)?,
    })
}

/// `GET /api/v2/filters`.
async fn index(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:filters")?;
    let list = ctx.app.filters_of(me).await?;
    let out: Vec<Filter> = list.iter().map(|f| Filter::new(f, true)).collect();
    ok(to_json(&out)?)
}

/// `POST /api/v2/filters`.
async fn create(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("write:filters")?;
    let f = ctx.app.create_filter(me, changes(ctx, true)?).await?;
    ok(filter_json(&f)?)
}

/// `GET /api/v2/filters/:id`.
async fn show(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("read:filters")?;
    ok(filter_json(&ctx.app.filter(me, path_id(id)?).await?)?)
}

/// `PUT /api/v2/filters/:id`.
async fn update(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("write:filters")?;
    let id = path_id(id)?;
    let f = ctx.app.update_filter(me, id, changes(ctx, false)?).await?;
    ok(filter_json(&f)?)
}

/// `DELETE /api/v2/filters/:id`: `{}`.
async fn delete(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("write:filters")?;
    ctx.app.delete_filter(me, path_id(id)?).await?;
    ok(json!({}))
}

/// `GET /api/v2/filters/:id/keywords`.
async fn keywords(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("read:filters")?;
    let f = ctx.app.filter(me, path_id(id)?).await?;
    let out: Vec<FilterKeyword> = f.keywords.iter().map(FilterKeyword::from).collect();
    ok(to_json(&out)?)
}

/// `POST /api/v2/filters/:id/keywords` (`keyword`, `whole_word`).
async fn add_keyword(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("write:filters")?;
    let id = path_id(id)?;
    let keyword = ctx.p.str("keyword").unwrap_or_default();
    let whole_word = ctx.p.bool("whole_word")?.unwrap_or(true);
    let k = ctx
        .app
        .add_filter_keyword(me, id, keyword, whole_word)
        .await?;
    ok(to_json(&FilterKeyword::from(&k))?)
}

/// `GET /api/v2/filter_keywords/:id`.
async fn keyword(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("read:filters")?;
    let (_, k) = ctx.app.filter_keyword(me, path_id(id)?).await?;
    ok(to_json(&FilterKeyword::from(&k))?)
}

/// `PUT /api/v2/filter_keywords/:id`.
async fn update_keyword(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("write:filters")?;
    let id = path_id(id)?;
    let k = ctx
        .app
        .update_filter_keyword(me, id, ctx.p.str("keyword"), ctx.p.bool("whole_word")?)
        .await?;
    ok(to_json(&FilterKeyword::from(&k))?)
}

/// `DELETE /api/v2/filter_keywords/:id`: `{}`.
async fn delete_keyword(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("write:filters")?;
    ctx.app.delete_filter_keyword(me, path_id(id)?).await?;
    ok(json!({}))
}

/// `GET /api/v2/filters/:id/statuses`.
async fn statuses(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("read:filters")?;
    let f = ctx.app.filter(me, path_id(id)?).await?;
    let out: Vec<FilterStatus> = f.statuses.iter().map(FilterStatus::from).collect();
    ok(to_json(&out)?)
}

/// `POST /api/v2/filters/:id/statuses` (`status_id`).
async fn add_status(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("write:filters")?;
    let id = path_id(id)?;
    let status_id = match ctx.p.str("status_id") {
        Some(s) => s.parse::<u64>().map_err(|_| ApiError::not_found())?,
        None => return Err(ApiError::not_found()),
    };
    let s = ctx.app.add_filter_status(me, id, status_id).await?;
    ok(to_json(&FilterStatus::from(&s))?)
}

/// `GET /api/v2/filter_statuses/:id`.
async fn status(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("read:filters")?;
    let (_, s) = ctx.app.filter_status(me, path_id(id)?).await?;
    ok(to_json(&FilterStatus::from(&s))?)
}

/// `DELETE /api/v2/filter_statuses/:id`: `{}`.
async fn delete_status(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("write:filters")?;
    ctx.app.delete_filter_status(me, path_id(id)?).await?;
    ok(json!({}))
}

// --- v1 ---------------------------------------------------------------------------------

fn v1_json(f: &filters::Filter, k: &filters::FilterKeyword) -> Result<Value, ApiError> {
    Ok(to_json(&V1Filter::new(f, k))?)
}

/// `irreversible` as a v2 `filter_action`.
fn v1_action(ctx: &Ctx<'_>) -> Result<Option<String>, ApiError> {
    Ok(ctx
        .p
        .bool("irreversible")?
        .map(|i| if i { "hide" } else { "warn" }.to_owned()))
}

/// `GET /api/v1/filters`: every keyword of every filter, as a v1 filter each.
async fn v1_index(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:filters")?;
    let list = ctx.app.filters_of(me).await?;
    let out: Vec<V1Filter> = list
        .iter()
        .flat_map(|f| f.keywords.iter().map(move |k| V1Filter::new(f, k)))
        .collect();
    ok(to_json(&out)?)
}

/// `POST /api/v1/filters` (`phrase`, `context[]`, `irreversible`, `whole_word`,
/// `expires_in`): a filter titled by its phrase, with that one keyword.
async fn v1_create(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("write:filters")?;
    let phrase = ctx.p.str("phrase").unwrap_or_default();
    let c = FilterChanges {
        title: Some(phrase.clone()),
        context: Some(ctx.p.list("context")),
        action: Some(v1_action(ctx)?.unwrap_or_else(|| "warn".into())),
        expires_in: expires_in(&ctx.p)?,
        keywords: vec![KeywordChange {
            id: None,
            keyword: Some(phrase),
            whole_word: Some(ctx.p.bool("whole_word")?.unwrap_or(true)),
            destroy: false,
        }],
    };
    let f = ctx.app.create_filter(me, c).await?;
    match f.keywords.first() {
        Some(k) => ok(v1_json(&f, k)?),
        None => Err(ApiError::unprocessable(
            "Validation failed: Keyword can't be blank",
        )),
    }
}

/// `GET /api/v1/filters/:id` (a keyword's id).
async fn v1_show(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("read:filters")?;
    let (f, k) = ctx.app.filter_keyword(me, path_id(id)?).await?;
    ok(v1_json(&f, &k)?)
}

/// `PUT /api/v1/filters/:id`: the keyword's `phrase` and `whole_word`, and its filter's
/// `context`, `irreversible` and `expires_in`, which may change only when the filter has
/// no other keyword (`422` otherwise, as Mastodon).
async fn v1_update(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("write:filters")?;
    let id = path_id(id)?;
    let (f, _) = ctx.app.filter_keyword(me, id).await?;
    let context = (ctx.p.get("context").is_some() || ctx.p.get("context[]").is_some())
        .then(|| ctx.p.list("context"));
    let c = FilterChanges {
        title: None,
        context,
        action: v1_action(ctx)?,
        expires_in: expires_in(&ctx.p)?,
        keywords: vec![KeywordChange {
            id: Some(id),
            keyword: ctx.p.str("phrase"),
            whole_word: ctx.p.bool("whole_word")?,
            destroy: false,
        }],
    };
    let filter_changed = c.context.as_ref().is_some_and(|new| {
        new.len() != f.context.len() || new.iter().zip(&f.context).any(|(a, b)| a != b.as_str())
    }) || c.action.as_deref().is_some_and(|a| a != f.action.as_str())
        || c.expires_in.is_some();
    if filter_changed && f.keywords.len() > 1 {
        return Err(ApiError::unprocessable(
            "These parameters cannot be changed from this application because they apply to \
             more than one filter keyword. Use a more recent application or the web interface.",
        ));
    }
    let f = ctx.app.update_filter(me, f.id, c).await?;
    match f.keywords.iter().find(|k| k.id == id) {
        Some(k) => ok(v1_json(&f, k)?),
        None => Err(ApiError::not_found()),
    }
}

/// `DELETE /api/v1/filters/:id`: the keyword, and its filter with it when it was the last.
async fn v1_delete(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("write:filters")?;
    let id = path_id(id)?;
    let (f, _) = ctx.app.filter_keyword(me, id).await?;
    if f.keywords.len() <= 1 && f.statuses.is_empty() {
        ctx.app.delete_filter(me, f.id).await?;
    } else {
        ctx.app.delete_filter_keyword(me, id).await?;
    }
    ok(json!({}))
}
