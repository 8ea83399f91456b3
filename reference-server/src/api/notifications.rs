//! Notifications: listing (plain and grouped), one, dismissing, clearing, counting.

use serde_json::json;

use super::params::path_id;
use super::responses::{ok, ApiError, ApiResult};
use super::{entities, Ctx};
use crate::app::Notification;

/// The notifications of a page that pass the `types[]`, `exclude_types[]` and
/// `account_id` filters, with the raw page (for `Link`).
async fn filtered_notifications(
    ctx: &Ctx<'_>,
    me: u64,
) -> Result<(Vec<Notification>, fedi_storage::Page), ApiError> {
    let req = ctx.p.page(40, 80)?;
    let types = ctx.p.list("types");
    let exclude = ctx.p.list("exclude_types");
    let from = match ctx.p.nonempty("account_id") {
        Some(a) => Some(path_id(&a).map_err(|_| ApiError::bad_request("account_id: not an id"))?),
        None => None,
    };
    let (list, page) = ctx.app.notifications_page(me, &req).await?;
    let out = list
        .into_iter()
        .filter(|n| {
            let kind = n.kind.as_str();
            (types.is_empty() || types.iter().any(|t| t == kind))
                && !exclude.iter().any(|t| t == kind)
                && from.is_none_or(|f| f == n.from_account_id)
        })
        .collect();
    Ok((out, page))
}

/// `GET /api/v1/notifications` (`types[]`, `exclude_types[]`, `account_id`).
pub(crate) async fn notifications(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:notifications")?;
    let (list, page) = filtered_notifications(ctx, me).await?;
    let body = entities::notifications(ctx.app, me, &list).await?;
    ctx.paged(body, &page)
}

/// `GET /api/v2/notifications`: Mastodon 4.3's grouped notifications. Woolly does not
/// group: every notification is its own group (`ungrouped-{id}`).
pub(crate) async fn grouped_notifications(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:notifications")?;
    let (list, page) = filtered_notifications(ctx, me).await?;
    let loaded = ctx.app.load_notifications(me, &list).await?;
    let mut accounts: Vec<entities::Account> = Vec::new();
    let mut statuses: Vec<entities::Status> = Vec::new();
    let mut groups = Vec::new();
    for n in &list {
        let Some(from) = loaded.account(n.from_account_id) else {
            continue;
        };
        // A status gone, or whose author is, leaves the notification out (as in v1).
        let status = match n.status_id {
            Some(sid) => match loaded
                .status(sid)
                .and_then(|s| entities::Status::from_loaded(ctx.app, s, &loaded))
            {
                Some(s) => Some(s),
                None => continue,
            },
            None => None,
        };
        let fid = from.id.to_string();
        if !accounts.iter().any(|a| a.id == fid) {
            accounts.push(entities::Account::from_loaded(ctx.app, from, &loaded));
        }
        let status_id = status.as_ref().map(|s| s.id.clone());
        if let Some(s) = status {
            if !statuses.iter().any(|x| x.id == s.id) {
                statuses.push(s);
            }
        }
        let at = crate::app::activitypub::rfc3339(n.created_at);
        groups.push(json!({
            "group_key": format!("ungrouped-{}", n.id),
            "notifications_count": 1,
            "type": n.kind.as_str(),
            "most_recent_notification_id": n.id.to_string(),
            "page_min_id": n.id.to_string(),
            "page_max_id": n.id.to_string(),
            "latest_page_notification_at": at,
            "sample_account_ids": [fid],
            "status_id": status_id,
        }));
    }
    ctx.paged(
        json!({
            "accounts": entities::to_json(&accounts)?,
            "statuses": entities::to_json(&statuses)?,
            "notification_groups": groups,
        }),
        &page,
    )
}

/// `GET /api/v1/notifications/policy` (and v2): everything is accepted.
pub(crate) fn notification_policy(ctx: &Ctx<'_>) -> ApiResult {
    ctx.user("read:notifications")?;
    ok(json!({
        "for_not_following": "accept",
        "for_not_followers": "accept",
        "for_new_accounts": "accept",
        "for_private_mentions": "accept",
        "for_limited_accounts": "accept",
        "filter_not_following": false,
        "filter_not_followers": false,
        "filter_new_accounts": false,
        "filter_private_mentions": false,
        "summary": { "pending_requests_count": 0, "pending_notifications_count": 0 },
    }))
}

/// `GET /api/v1/notifications/:id`.
pub(crate) async fn notification(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("read:notifications")?;
    let n = ctx.app.notification(me, path_id(id)?).await?;
    match entities::notification(ctx.app, &n).await? {
        Some(v) => ok(v),
        None => Err(ApiError::not_found()),
    }
}

/// `POST /api/v1/notifications/:id/dismiss`.
pub(crate) async fn dismiss(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("write:notifications")?;
    ctx.app.dismiss_notification(me, path_id(id)?).await?;
    ok(json!({}))
}

/// `POST /api/v1/notifications/clear`.
pub(crate) async fn clear(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("write:notifications")?;
    ctx.app.clear_notifications(me).await?;
    ok(json!({}))
}

/// `GET /api/v1/notifications/unread_count`: the notifications newer than the
/// `notifications` read marker (all of them without one), up to `limit`, default 100, at
/// most 1000.
pub(crate) async fn unread_count(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:notifications")?;
    let limit = ctx.p.u64("limit")?.map_or(100, |l| l.clamp(1, 1000));
    let n = ctx.app.unread_notifications(me, limit as usize).await?;
    ok(json!({ "count": n }))
}
