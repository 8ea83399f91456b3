//! `/api/v1/polls/…`: a poll, and voting in it.

use super::params::path_id;
use super::responses::{ok, ApiError, ApiResult};
use super::statuses::visible;
use super::{entities, Ctx};

/// `GET /api/v1/polls/:id`: the poll of a status the viewer may see (`404` otherwise).
pub(crate) async fn get(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let viewer = ctx.viewer("read:statuses")?;
    let s = visible(ctx.app, id, viewer).await?;
    if s.poll.is_none() {
        return Err(ApiError::not_found());
    }
    ok(entities::poll(ctx.app, &s, viewer).await?)
}

/// `POST /api/v1/polls/:id/votes` with `choices[]` (option indexes, from 0): the poll after
/// the vote.
pub(crate) async fn vote(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("write:statuses")?;
    let id = path_id(id)?;
    let raw = ctx.p.list("choices");
    let mut choices = Vec::with_capacity(raw.len());
    for r in raw {
        choices.push(r.trim().parse::<usize>().map_err(|_| {
            ApiError::unprocessable("Validation failed: The chosen vote option does not exist")
        })?);
    }
    let s = ctx.app.vote(me, id, &choices).await?;
    let s = ctx.app.status(s.id).await?;
    ok(entities::poll(ctx.app, &s, Some(me)).await?)
}
