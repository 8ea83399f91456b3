//! Grouped notifications (Mastodon 4.3's `/api/v2/notifications`): a page of groups, one
//! group, its accounts, dismissing it, and the unread count of groups.

use fedi_storage::{CollectionItem, Page};
use serde_json::json;

use super::entities::notification_group::GroupedNotificationsResults;
use super::notifications::filter_of;
use super::responses::{ok, ApiError, ApiResult};
use super::{entities, Ctx};
use crate::app::notification_groups::{GroupedTypes, NotificationGroup};

/// The account ids every group of `groups` names.
fn sample_ids(groups: &[NotificationGroup]) -> Vec<u64> {
    let mut ids: Vec<u64> = groups
        .iter()
        .flat_map(|g| g.sample_account_ids.iter().copied())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// `GroupedNotificationsResults` for `groups`, read in one batch.
async fn results(
    ctx: &Ctx<'_>,
    me: u64,
    groups: &[NotificationGroup],
    partial: bool,
) -> Result<serde_json::Value, ApiError> {
    let heads: Vec<_> = groups.iter().map(|g| g.notification.clone()).collect();
    let loaded = ctx
        .app
        .load_notifications_with(me, &heads, &sample_ids(groups), &[])
        .await?;
    Ok(entities::to_json(&GroupedNotificationsResults::build(
        ctx.app, groups, &loaded, partial,
    ))?)
}

/// `expand_accounts`: `full` (the default) or `partial_avatars`; anything else is `400`, as
/// Mastodon's `InvalidParameterError`.
fn partial_avatars(ctx: &Ctx<'_>) -> Result<bool, ApiError> {
    match ctx.p.str("expand_accounts").as_deref() {
        None | Some("full") => Ok(false),
        Some("partial_avatars") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!(
            "Invalid value for 'expand_accounts': '{other}', allowed values are 'full' and 'partial_avatars'"
        ))),
    }
}

/// `GET /api/v2/notifications` (`types[]`, `exclude_types[]`, `account_id`,
/// `include_filtered`, `grouped_types[]`, `expand_accounts`; `max_id` / `since_id` /
/// `min_id` / `limit` count groups).
pub(crate) async fn index(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:notifications")?;
    let req = ctx.p.page(40, 80)?;
    let filter = filter_of(ctx)?;
    let grouped = GroupedTypes::from_names(&ctx.p.list("grouped_types"));
    let partial = partial_avatars(ctx)?;
    let page = ctx
        .app
        .notification_groups_page(me, &req, &filter, &grouped)
        .await?;
    let body = results(ctx, me, &page.groups, partial).await?;
    ctx.paged(body, &page.page)
}

/// `GET /api/v2/notifications/:group_key`: the group with all its notifications (`404` if it
/// has none).
pub(crate) async fn show(ctx: &Ctx<'_>, key: &str) -> ApiResult {
    let me = ctx.user("read:notifications")?;
    let group = ctx.app.notification_group(me, key).await?;
    ok(results(ctx, me, std::slice::from_ref(&group), false).await?)
}

/// `GET /api/v2/notifications/:group_key/accounts`: who sent the group's notifications,
/// newest first, paged by notification (`max_id` / `since_id` / `min_id`, `limit` default
/// 40, at most 80) with `Link`.
pub(crate) async fn accounts(ctx: &Ctx<'_>, key: &str) -> ApiResult {
    let me = ctx.user("read:notifications")?;
    let req = ctx.p.page(40, 80)?;
    let members = ctx.app.group_members(me, key).await?;
    let in_range: Vec<(u64, u64)> = members
        .into_iter()
        .filter(|(id, _)| req.max_id.is_none_or(|m| *id < m))
        .filter(|(id, _)| req.lower_bound().is_none_or(|m| *id > m))
        .collect();
    // Newest first; from `min_id`, the ones just after it.
    let chosen: Vec<(u64, u64)> = if req.min_id.is_some() {
        let mut up: Vec<_> = in_range.into_iter().take(req.limit).collect();
        up.reverse();
        up
    } else {
        in_range.into_iter().rev().take(req.limit).collect()
    };
    let ids: Vec<u64> = chosen.iter().map(|(_, from)| *from).collect();
    let found = ctx.app.accounts_by_id(&ids).await?;
    let list: Vec<crate::app::Account> = found.into_iter().flatten().collect();
    let loaded = ctx.app.load_accounts(&list).await?;
    let out: Vec<entities::Account> = ids
        .iter()
        .filter_map(|id| list.iter().find(|a| a.id == *id))
        .map(|a| entities::Account::from_loaded(ctx.app, a, &loaded))
        .collect();
    let mut page = Page::default();
    page.items = chosen
        .iter()
        .map(|(id, from)| CollectionItem::new(*id, from.to_string()))
        .collect();
    ctx.paged(entities::to_json(&out)?, &page)
}

/// `POST /api/v2/notifications/:group_key/dismiss`: dismisses every notification of the
/// group (an unknown key dismisses nothing, as on Mastodon).
pub(crate) async fn dismiss(ctx: &Ctx<'_>, key: &str) -> ApiResult {
    let me = ctx.user("write:notifications")?;
    ctx.app.dismiss_notification_group(me, key).await?;
    ok(json!({}))
}

/// `GET /api/v2/notifications/unread_count` (`limit` default 100, at most 1,000; `types[]`,
/// `exclude_types[]`, `account_id`, `include_filtered`, `grouped_types[]`): the groups
/// newer than the `notifications` read marker (all without one).
pub(crate) async fn unread_count(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:notifications")?;
    let limit = ctx.p.u64("limit")?.map_or(100, |l| l.clamp(1, 1000)) as usize;
    let filter = filter_of(ctx)?;
    let grouped = GroupedTypes::from_names(&ctx.p.list("grouped_types"));
    let n = ctx
        .app
        .unread_notification_groups(me, limit, &filter, &grouped)
        .await?;
    ok(json!({ "count": n }))
}
