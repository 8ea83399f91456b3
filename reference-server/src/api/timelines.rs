//! Timelines (home, public, hashtag) and favourites.

use super::responses::{ApiError, ApiResult};
use super::{entities, Ctx};
use crate::app::List;

async fn statuses_of(
    ctx: &Ctx<'_>,
    collection: &List,
    viewer: Option<u64>,
    keep: impl Fn(&crate::app::Status) -> bool,
) -> ApiResult {
    let req = ctx.p.page(20, 40)?;
    let (list, page) = ctx.app.statuses_page(collection, &req, viewer).await?;
    let only_media = ctx.p.flag("only_media")?;
    let list: Vec<_> = list
        .into_iter()
        .filter(|s| !only_media && keep(s))
        .collect();
    let body = entities::statuses(ctx.app, &list, viewer).await?;
    ctx.paged(body, &page)
}

/// `GET /api/v1/timelines/home`.
pub(crate) async fn home(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:statuses")?;
    statuses_of(ctx, &List::Home(me), Some(me), |_| true).await
}

/// `GET /api/v1/timelines/public` (`local`, `remote`).
pub(crate) async fn public(ctx: &Ctx<'_>) -> ApiResult {
    let viewer = ctx.viewer("read:statuses")?;
    let collection = if ctx.p.flag("local")? {
        List::LocalTimeline
    } else if ctx.p.flag("remote")? {
        List::RemoteTimeline
    } else {
        List::FederatedTimeline
    };
    statuses_of(ctx, &collection, viewer, |_| true).await
}

/// `GET /api/v1/timelines/tag/:tag` (`local`, `remote`).
pub(crate) async fn tag(ctx: &Ctx<'_>, tag: &str) -> ApiResult {
    let viewer = ctx.viewer("read:statuses")?;
    let local = ctx.p.flag("local")?;
    let remote = ctx.p.flag("remote")?;
    let tag = tag.trim_start_matches('#');
    if tag.is_empty() {
        return Err(ApiError::not_found());
    }
    statuses_of(ctx, &List::Tag(tag.to_owned()), viewer, |s| {
        (!local || s.local) && (!remote || !s.local)
    })
    .await
}

/// `GET /api/v1/favourites`.
pub(crate) async fn favourites(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:favourites")?;
    statuses_of(ctx, &List::FavouritesOf(me), Some(me), |_| true).await
}
