//! Reports: `POST /api/v1/reports`, and the admin API's reports (`/api/v1/admin/reports`:
//! list, show, update, `assign_to_self`, `unassign`, `resolve`, `reopen`).

use super::entities::report as entity;
use super::params::path_id;
use super::responses::{ok, ApiError, ApiResult};
use super::Ctx;
use crate::app::moderation::{NewReport, ReportFilter};
use crate::app::roles::flags;

/// Ids of a list parameter (`status_ids[]`, `rule_ids[]`): one that is not a number names
/// nothing that exists (`404` for statuses, as Mastodon's lookup; `422` for rules).
fn ids(ctx: &Ctx<'_>, key: &str) -> Result<Vec<u64>, ()> {
    ctx.p
        .list(key)
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.trim().parse::<u64>().map_err(|_| ()))
        .collect()
}

/// `POST /api/v1/reports` (`account_id`, `status_ids[]`, `comment`, `category`,
/// `rule_ids[]`, `forward`, `forward_to_domains[]`): Mastodon's `Report`.
pub(crate) async fn create(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("write:reports")?;
    let target = ctx
        .p
        .nonempty("account_id")
        .ok_or_else(|| ApiError::unprocessable("Validation failed: Target account must exist"))?;
    let target = path_id(target.trim())?;
    let status_ids = ids(ctx, "status_ids").map_err(|()| ApiError::not_found())?;
    let rule_ids = ids(ctx, "rule_ids").map_err(|()| {
        ApiError::unprocessable("Validation failed: Rule ids does not reference valid rules")
    })?;
    let forward_to_domains = {
        let d = ctx.p.list("forward_to_domains");
        (!d.is_empty()).then_some(d)
    };
    let new = NewReport {
        target_account_id: target,
        status_ids,
        comment: ctx.p.str("comment").unwrap_or_default(),
        category: ctx.p.str("category"),
        rule_ids,
        forward: ctx.p.flag("forward")?,
        forward_to_domains,
    };
    let r = ctx.app.create_report(me, new).await?;
    ok(entity::report(ctx.app, &r).await?)
}

/// `GET /api/v1/admin/reports` (`resolved`, `account_id`, `target_account_id`, paging;
/// 100 by default, at most 200).
pub(crate) async fn admin_index(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx
        .staff("admin:read:reports", flags::MANAGE_REPORTS)
        .await?
        .0;
    let id_param = |key: &str| -> Result<Option<u64>, ApiError> {
        match ctx.p.nonempty(key) {
            None => Ok(None),
            Some(s) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| ApiError::unprocessable(format!("{key}: not an id"))),
        }
    };
    let filter = ReportFilter {
        resolved: ctx.p.flag("resolved")?,
        account_id: id_param("account_id")?,
        target_account_id: id_param("target_account_id")?,
    };
    let req = ctx.p.page(100, 200)?;
    let (reports, page) = ctx.app.admin_reports(filter, &req).await?;
    let body = entity::admin_reports(ctx.app, me, &reports).await?;
    ctx.paged(body, &page)
}

/// `GET /api/v1/admin/reports/:id`.
pub(crate) async fn admin_show(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx
        .staff("admin:read:reports", flags::MANAGE_REPORTS)
        .await?
        .0;
    let r = ctx.app.report(path_id(id)?).await?;
    ok(entity::admin_report(ctx.app, me, &r)
        .await?
        .ok_or_else(ApiError::not_found)?)
}

/// `PUT /api/v1/admin/reports/:id` (`category`, `rule_ids[]`): the `Admin::Report` after
/// the change.
pub(crate) async fn admin_update(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx
        .staff("admin:write:reports", flags::MANAGE_REPORTS)
        .await?
        .0;
    let id = path_id(id)?;
    let has_rules = ctx.p.get("rule_ids").is_some() || ctx.p.get("rule_ids[]").is_some();
    let rule_ids = if has_rules {
        Some(ids(ctx, "rule_ids").map_err(|()| {
            ApiError::unprocessable("Validation failed: Rule ids does not reference valid rules")
        })?)
    } else {
        None
    };
    let category = ctx.p.str("category");
    let r = ctx
        .app
        .update_report(id, category.as_deref(), rule_ids)
        .await?;
    ok(entity::admin_report(ctx.app, me, &r)
        .await?
        .ok_or_else(ApiError::not_found)?)
}

/// `POST /api/v1/admin/reports/:id/{assign_to_self,unassign,resolve,reopen}`: the
/// `Admin::Report` after the change.
pub(crate) async fn admin_action(ctx: &Ctx<'_>, id: &str, action: &str) -> ApiResult {
    let me = ctx
        .staff("admin:write:reports", flags::MANAGE_REPORTS)
        .await?
        .0;
    let id = path_id(id)?;
    let app = ctx.app;
    let r = match action {
        "assign_to_self" => app.assign_report(id, Some(me)).await?,
        "unassign" => app.assign_report(id, None).await?,
        "resolve" => app.set_report_resolved(id, Some(me), true).await?,
        "reopen" => app.set_report_resolved(id, None, false).await?,
        _ => return Err(ApiError::not_found()),
    };
    ok(entity::admin_report(app, me, &r)
        .await?
        .ok_or_else(ApiError::not_found)?)
}
