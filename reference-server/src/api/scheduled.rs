//! `/api/v1/scheduled_statuses` and the `scheduled_at` of `POST /api/v1/statuses`.

use serde_json::json;

use super::params::path_id;
use super::responses::{ok, ApiError, ApiResult};
use super::{entities, Ctx};
use crate::app::{NewStatus, StatusApplication};

/// `scheduled_at` (ISO 8601 / RFC 3339) as Unix milliseconds; `422` if it is not a date.
pub(crate) fn parse_scheduled_at(raw: &str) -> Result<u64, ApiError> {
    let t = time::OffsetDateTime::parse(raw.trim(), &time::format_description::well_known::Rfc3339)
        .or_else(|_| {
            time::OffsetDateTime::parse(
                raw.trim(),
                &time::format_description::well_known::Iso8601::DEFAULT,
            )
        })
        .map_err(|_| ApiError::unprocessable("Validation failed: Scheduled at is not a date"))?;
    let ms = t.unix_timestamp_nanos() / 1_000_000;
    u64::try_from(ms)
        .map_err(|_| ApiError::unprocessable("Validation failed: Scheduled at is not a date"))
}

/// `POST /api/v1/statuses` with a `scheduled_at` in the future: the `ScheduledStatus`.
pub(crate) async fn schedule(
    ctx: &Ctx<'_>,
    me: u64,
    new: NewStatus,
    scheduled_at: u64,
) -> ApiResult {
    let (application, application_id) = match &ctx.token {
        Some(t) => match super::oauth::token_app(ctx.app, t).await? {
            Some(a) => (
                Some(StatusApplication {
                    name: a.name,
                    website: a.website,
                }),
                Some(a.id),
            ),
            None => (
                Some(StatusApplication {
                    name: "woolly".into(),
                    website: None,
                }),
                None,
            ),
        },
        None => (None, None),
    };
    let s = ctx
        .app
        .schedule_status(me, new, scheduled_at, application, application_id)
        .await?;
    let list = entities::scheduled_statuses(ctx.app, std::slice::from_ref(&s)).await?;
    ok(entities::to_json(&list[0])?)
}

/// `GET /api/v1/scheduled_statuses`: newest first, paged by id with `Link` headers.
pub(crate) async fn list(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:statuses")?;
    let req = ctx.p.page(20, 40)?;
    let (list, page) = ctx.app.scheduled_page(me, &req).await?;
    let body = entities::to_json(&entities::scheduled_statuses(ctx.app, &list).await?)?;
    ctx.paged(body, &page)
}

/// `GET /api/v1/scheduled_statuses/:id`.
pub(crate) async fn get(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("read:statuses")?;
    let s = ctx.app.scheduled_status(me, path_id(id)?).await?;
    let list = entities::scheduled_statuses(ctx.app, std::slice::from_ref(&s)).await?;
    ok(entities::to_json(&list[0])?)
}

/// `PUT /api/v1/scheduled_statuses/:id`: moves it to `scheduled_at` (nothing else changes).
pub(crate) async fn update(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("write:statuses")?;
    let id = path_id(id)?;
    ctx.app.scheduled_status(me, id).await?;
    let Some(raw) = ctx.p.nonempty("scheduled_at") else {
        return Err(ApiError::unprocessable(
            "Validation failed: Scheduled at can't be blank",
        ));
    };
    let at = parse_scheduled_at(&raw)?;
    let s = ctx.app.reschedule(me, id, at).await?;
    let list = entities::scheduled_statuses(ctx.app, std::slice::from_ref(&s)).await?;
    ok(entities::to_json(&list[0])?)
}

/// `DELETE /api/v1/scheduled_statuses/:id`: `{}`.
pub(crate) async fn delete(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("write:statuses")?;
    ctx.app.cancel_scheduled(me, path_id(id)?).await?;
    ok(json!({}))
}
