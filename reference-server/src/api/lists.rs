//! `/api/v1/lists/…` and `/api/v1/accounts/:id/lists`: lists and their accounts. The list
//! timeline is in [`super::timelines`].

use fedi_storage::{Page, PageRequest};
use http::Method;
use serde_json::{json, Value};

use super::accounts::{accounts_of, find};
use super::params::path_id;
use super::responses::{ok, ApiError, ApiResult};
use super::{entities, Ctx};
use crate::app::{ListChanges, RepliesPolicy};
use crate::http::routes::Api;

/// Answers `/api/v1/lists`, `/api/v1/lists/:id` and `/api/v1/lists/:id/accounts`.
pub(crate) async fn answer(ctx: &Ctx<'_>, m: &Method, route: Api, id: &str) -> ApiResult {
    match (m, route) {
        (&Method::GET, Api::Lists) => index(ctx).await,
        (&Method::POST, Api::Lists) => create(ctx).await,
        (&Method::GET, Api::List) => show(ctx, id).await,
        (&Method::PUT | &Method::PATCH, Api::List) => update(ctx, id).await,
        (&Method::DELETE, Api::List) => delete(ctx, id).await,
        (&Method::GET, Api::ListAccounts) => accounts(ctx, id).await,
        (&Method::POST, Api::ListAccounts) => add_accounts(ctx, id, true).await,
        (&Method::DELETE, Api::ListAccounts) => add_accounts(ctx, id, false).await,
        _ => Err(ApiError::new(http::StatusCode::NOT_FOUND, "Not found")),
    }
}

fn policy(ctx: &Ctx<'_>) -> Result<Option<RepliesPolicy>, ApiError> {
    match ctx.p.str("replies_policy") {
        None => Ok(None),
        Some(p) => RepliesPolicy::parse(&p).map(Some).ok_or_else(|| {
            ApiError::unprocessable("Validation failed: Replies policy is not included in the list")
        }),
    }
}

/// `GET /api/v1/lists`: the user's lists, oldest first.
async fn index(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:lists")?;
    let lists = ctx.app.lists_of(me).await?;
    ok(Value::Array(lists.iter().map(entities::list).collect()))
}

/// `POST /api/v1/lists` (`title`, `replies_policy`, `exclusive`).
async fn create(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("write:lists")?;
    let title = ctx.p.str("title").unwrap_or_default();
    let replies_policy = policy(ctx)?.unwrap_or(RepliesPolicy::List);
    let exclusive = ctx.p.flag("exclusive")?;
    let list = ctx
        .app
        .create_list(me, &title, replies_policy, exclusive)
        .await?;
    ok(entities::list(&list))
}

/// `GET /api/v1/lists/:id`.
async fn show(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("read:lists")?;
    let list = ctx.app.list(me, path_id(id)?).await?;
    ok(entities::list(&list))
}

/// `PUT /api/v1/lists/:id`.
async fn update(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("write:lists")?;
    let id = path_id(id)?;
    let changes = ListChanges {
        title: ctx.p.str("title"),
        replies_policy: policy(ctx)?,
        exclusive: ctx.p.bool("exclusive")?,
    };
    let list = ctx.app.update_list(me, id, changes).await?;
    ok(entities::list(&list))
}

/// `DELETE /api/v1/lists/:id`: `{}`.
async fn delete(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("write:lists")?;
    ctx.app.delete_list(me, path_id(id)?).await?;
    ok(json!({}))
}

/// `GET /api/v1/lists/:id/accounts`: paged with `Link` (40 by default, at most 80; `limit=0`
/// answers every account without paging, as Mastodon).
async fn accounts(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("read:lists")?;
    let id = path_id(id)?;
    let unlimited = ctx.p.u64("limit")? == Some(0);
    let req = if unlimited {
        PageRequest::newest(usize::MAX)
    } else {
        ctx.p.page(40, 80)?
    };
    let (list, page) = if unlimited {
        ctx.app.list(me, id).await?;
        let all = ctx
            .app
            .all_members(&crate::app::List::ListAccounts(id), 500)
            .await?;
        let members: Vec<&str> = all.iter().map(|i| i.member.as_str()).collect();
        (accounts_of(ctx.app, members).await?, Page::default())
    } else {
        let (accounts, page) = ctx.app.list_accounts_page(me, id, &req).await?;
        (accounts.into_iter().filter(|a| !a.deleted).collect(), page)
    };
    let body = entities::accounts(ctx.app, &list).await?;
    ctx.paged(body, &page)
}

/// `POST` / `DELETE /api/v1/lists/:id/accounts` (`account_ids[]`): `{}`.
async fn add_accounts(ctx: &Ctx<'_>, id: &str, add: bool) -> ApiResult {
    let me = ctx.user("write:lists")?;
    let id = path_id(id)?;
    let ids = ctx.p.list("account_ids");
    let mut accounts = Vec::with_capacity(ids.len());
    for i in &ids {
        match i.parse::<u64>() {
            Ok(a) => accounts.push(a),
            // An id that names no account, as Mastodon's `Account.find`.
            Err(_) if add => return Err(ApiError::not_found()),
            Err(_) => {}
        }
    }
    if add {
        ctx.app.add_to_list(me, id, &accounts).await?;
    } else {
        ctx.app.remove_from_list(me, id, &accounts).await?;
    }
    ok(json!({}))
}

/// `GET /api/v1/accounts/:id/lists`: the user's lists that hold the account.
pub(crate) async fn lists_of_account(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("read:lists")?;
    let account = find(ctx.app, id).await?;
    let lists = ctx.app.lists_containing(me, account.id).await?;
    ok(Value::Array(lists.iter().map(entities::list).collect()))
}
