//! Notification requests (Mastodon 4.3's `/api/v1/notifications/requests`): listing, one,
//! accepting and dismissing (one or several), and whether accepted ones are merged.

use serde_json::json;

use super::entities::notification_group::NotificationRequest;
use super::params::path_id;
use super::responses::{ok, ApiError, ApiResult};
use super::{entities, Ctx};
use crate::app::notification_requests::NotificationRequest as Request;
use crate::error::Error;

/// The entities of `list` (those whose sender is gone left out), read in one batch.
async fn entities_of(
    ctx: &Ctx<'_>,
    me: u64,
    list: &[Request],
) -> Result<Vec<NotificationRequest>, ApiError> {
    let accounts: Vec<u64> = list.iter().map(|r| r.from_account_id).collect();
    let statuses: Vec<u64> = list.iter().filter_map(|r| r.last_status_id).collect();
    let loaded = ctx
        .app
        .load_notifications_with(me, &[], &accounts, &statuses)
        .await?;
    Ok(list
        .iter()
        .filter_map(|r| NotificationRequest::from_loaded(ctx.app, r, &loaded))
        .collect())
}

/// `GET /api/v1/notifications/requests` (newest first; `max_id` / `since_id` / `min_id`,
/// `limit` default 40, at most 80, with `Link`).
pub(crate) async fn index(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:notifications")?;
    let req = ctx.p.page(40, 80)?;
    let (list, page) = ctx.app.notification_requests_page(me, &req).await?;
    let out = entities_of(ctx, me, &list).await?;
    ctx.paged(entities::to_json(&out)?, &page)
}

/// `GET /api/v1/notifications/requests/:id`.
pub(crate) async fn show(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("read:notifications")?;
    let r = ctx.app.notification_request(me, path_id(id)?).await?;
    let mut out = entities_of(ctx, me, std::slice::from_ref(&r)).await?;
    match out.pop() {
        Some(e) => ok(entities::to_json(&e)?),
        None => Err(ApiError::not_found()),
    }
}

/// `POST /api/v1/notifications/requests/:id/accept` and `/dismiss`.
pub(crate) async fn action(ctx: &Ctx<'_>, id: &str, accept: bool) -> ApiResult {
    let me = ctx.user("write:notifications")?;
    let id = path_id(id)?;
    if accept {
        ctx.app.accept_notification_request(me, id).await?;
    } else {
        ctx.app.dismiss_notification_request(me, id).await?;
    }
    ok(json!({}))
}

/// `POST /api/v1/notifications/requests/accept` and `/dismiss` (`id[]`): the requests of
/// the account among them (others are ignored, as on Mastodon).
pub(crate) async fn bulk(ctx: &Ctx<'_>, accept: bool) -> ApiResult {
    let me = ctx.user("write:notifications")?;
    let mut ids: Vec<u64> = ctx
        .p
        .list("id")
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        let done = if accept {
            ctx.app.accept_notification_request(me, id).await
        } else {
            ctx.app.dismiss_notification_request(me, id).await
        };
        match done {
            Ok(()) | Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    ok(json!({}))
}

/// `GET /api/v1/notifications/requests/merged`: whether the notifications of accepted
/// requests are all back in the list (always: accepting is done at once).
pub(crate) fn merged(ctx: &Ctx<'_>) -> ApiResult {
    ctx.user("read:notifications")?;
    ok(json!({ "merged": true }))
}
