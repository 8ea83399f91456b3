//! Notifications (v1): listing, one, dismissing, clearing, counting; the notification
//! policy (v1 and v2).

use serde_json::json;

use super::entities::notification_group::{PolicySummary, PolicyV1, PolicyV2};
use super::params::path_id;
use super::responses::{ok, ApiError, ApiResult};
use super::{entities, Ctx};
use crate::app::notification_groups::NotificationFilter;
use crate::app::notification_policy::PolicyAction;
use crate::app::Notification;

/// The filter of a list's `types[]`, `exclude_types[]`, `account_id` and `include_filtered`.
pub(super) fn filter_of(ctx: &Ctx<'_>) -> Result<NotificationFilter, ApiError> {
    let from = match ctx.p.nonempty("account_id") {
        Some(a) => Some(path_id(&a).map_err(|_| ApiError::bad_request("account_id: not an id"))?),
        None => None,
    };
    Ok(NotificationFilter {
        types: ctx.p.list("types"),
        exclude_types: ctx.p.list("exclude_types"),
        from,
        include_filtered: ctx.p.flag("include_filtered")?,
    })
}

/// The notifications of a page that pass the filter ([`filter_of`]), with the raw page (for
/// `Link`).
async fn filtered_notifications(
    ctx: &Ctx<'_>,
    me: u64,
) -> Result<(Vec<Notification>, fedi_storage::Page), ApiError> {
    let req = ctx.p.page(40, 80)?;
    let filter = filter_of(ctx)?;
    let (list, page) = ctx.app.notifications_page(me, &req).await?;
    let out = list.into_iter().filter(|n| filter.matches(n)).collect();
    Ok((out, page))
}

/// `GET /api/v1/notifications` (`types[]`, `exclude_types[]`, `account_id`,
/// `include_filtered`).
pub(crate) async fn notifications(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:notifications")?;
    let (list, page) = filtered_notifications(ctx, me).await?;
    let body = entities::notifications(ctx.app, me, &list).await?;
    ctx.paged(body, &page)
}

/// The policy's `summary`.
async fn summary(ctx: &Ctx<'_>, me: u64) -> Result<PolicySummary, ApiError> {
    let (requests, held) = ctx.app.notification_requests_summary(me).await?;
    Ok(PolicySummary {
        pending_requests_count: requests,
        pending_notifications_count: held,
    })
}

/// `GET /api/v1/notifications/policy` (booleans) and `GET /api/v2/notifications/policy`.
pub(crate) async fn policy(ctx: &Ctx<'_>, v2: bool) -> ApiResult {
    let me = ctx.user("read:notifications")?;
    let p = ctx.app.notification_policy(me).await?;
    let sum = summary(ctx, me).await?;
    if v2 {
        ok(entities::to_json(&PolicyV2::new(&p, sum))?)
    } else {
        ok(entities::to_json(&PolicyV1::new(&p, sum))?)
    }
}

/// `PUT`/`PATCH /api/v1/notifications/policy` (`filter_*` booleans: `filter` or `accept`)
/// and `PATCH /api/v2/notifications/policy` (`for_*`: `accept`, `filter` or `drop`; another
/// value is `422`). Fields not sent keep their value.
pub(crate) async fn update_policy(ctx: &Ctx<'_>, v2: bool) -> ApiResult {
    let me = ctx.user("write:notifications")?;
    let mut p = ctx.app.notification_policy(me).await?;
    {
        let fields = [
            ("not_following", &mut p.for_not_following),
            ("not_followers", &mut p.for_not_followers),
            ("new_accounts", &mut p.for_new_accounts),
            ("private_mentions", &mut p.for_private_mentions),
        ];
        for (name, slot) in fields {
            if v2 {
                if let Some(v) = ctx.p.str(&format!("for_{name}")) {
                    *slot = PolicyAction::parse(&v).ok_or_else(|| bad_action(name, &v))?;
                }
            } else if let Some(b) = ctx.p.bool(&format!("filter_{name}"))? {
                *slot = if b {
                    PolicyAction::Filter
                } else {
                    PolicyAction::Accept
                };
            }
        }
        if v2 {
            if let Some(v) = ctx.p.str("for_limited_accounts") {
                p.for_limited_accounts =
                    PolicyAction::parse(&v).ok_or_else(|| bad_action("limited_accounts", &v))?;
            }
        }
    }
    ctx.app.set_notification_policy(me, &p).await?;
    let sum = summary(ctx, me).await?;
    if v2 {
        ok(entities::to_json(&PolicyV2::new(&p, sum))?)
    } else {
        ok(entities::to_json(&PolicyV1::new(&p, sum))?)
    }
}

fn bad_action(name: &str, value: &str) -> ApiError {
    ApiError::unprocessable(format!(
        "Validation failed: For {} {value:?} is not one of accept, filter, drop",
        name.replace('_', " ")
    ))
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
