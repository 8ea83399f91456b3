//! Timelines (home, public, hashtag), favourites and bookmarks.

use fedi_storage::{CollectionItem, Page, PageRequest};

use super::responses::{ApiError, ApiResult};
use super::{entities, Ctx};
use crate::app::filters::FilterContext;
use crate::app::{App, List, Status};

/// How many pages of a list a filtered read (`only_media`) goes through at most to fill one.
const FILTERED_PAGES: usize = 10;

/// A page of `list` for `viewer` keeping the statuses `keep` takes. When `filtered`, older
/// pages are read (up to [`FILTERED_PAGES`]) until the page is full or the list ends, and the
/// returned page (for `Link` headers) spans the statuses kept: a filter that keeps few
/// statuses still pages through them, and one that keeps none answers an empty list
/// without a `Link`.
pub(crate) async fn filtered_page(
    app: &App,
    list: &List,
    req: &PageRequest,
    viewer: Option<u64>,
    filtered: bool,
    keep: impl Fn(&Status) -> bool,
) -> Result<(Vec<Status>, Page), crate::Error> {
    if !filtered || req.min_id.is_some() {
        let (statuses, page) = app.statuses_page(list, req, viewer).await?;
        return Ok((statuses.into_iter().filter(|s| keep(s)).collect(), page));
    }
    let mut req = req.clone();
    let mut out = Vec::new();
    for _ in 0..FILTERED_PAGES {
        let (statuses, page) = app.statuses_page(list, &req, viewer).await?;
        let ended = page.items.len() < req.limit;
        out.extend(statuses.into_iter().filter(|s| keep(s)));
        out.truncate(req.limit);
        match page.next_max_id() {
            Some(next) if !ended && out.len() < req.limit => req.max_id = Some(next),
            _ => break,
        }
    }
    let mut page = Page::default();
    page.items = out
        .iter()
        .map(|s| CollectionItem::new(s.id, s.id.to_string()))
        .collect();
    Ok((out, page))
}

async fn statuses_of(
    ctx: &Ctx<'_>,
    collection: &List,
    viewer: Option<u64>,
    context: Option<FilterContext>,
    keep: impl Fn(&crate::app::Status) -> bool,
) -> ApiResult {
    let req = ctx.p.page(20, 40)?;
    let only_media = ctx.p.flag("only_media")?;
    let (list, page) = filtered_page(ctx.app, collection, &req, viewer, only_media, |s| {
        (!only_media || !s.media_ids.is_empty()) && keep(s)
    })
    .await?;
    let body = entities::statuses_in(ctx.app, &list, viewer, context).await?;
    ctx.paged(body, &page)
}

/// [`statuses_of`] for a public timeline: a silenced account's statuses are left out (but
/// for the account itself), as Mastodon keeps limited accounts out of public timelines.
async fn public_statuses_of(
    ctx: &Ctx<'_>,
    collection: &List,
    viewer: Option<u64>,
    keep: impl Fn(&crate::app::Status) -> bool,
) -> ApiResult {
    let req = ctx.p.page(20, 40)?;
    let only_media = ctx.p.flag("only_media")?;
    let (list, page) = filtered_page(ctx.app, collection, &req, viewer, only_media, |s| {
        (!only_media || !s.media_ids.is_empty()) && keep(s)
    })
    .await?;
    let me = viewer.map(|v| v.to_string());
    let shown: Vec<_> = entities::statuses_in(ctx.app, &list, viewer, Some(FilterContext::Public))
        .await?
        .into_iter()
        .filter(|e| e.account.limited != Some(true) || me.as_deref() == Some(&e.account.id))
        .collect();
    ctx.paged(shown, &page)
}

/// `GET /api/v1/timelines/home`.
pub(crate) async fn home(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:statuses")?;
    statuses_of(
        ctx,
        &List::Home(me),
        Some(me),
        Some(FilterContext::Home),
        |_| true,
    )
    .await
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
    public_statuses_of(ctx, &collection, viewer, |_| true).await
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
    public_statuses_of(ctx, &List::Tag(tag.to_owned()), viewer, |s| {
        (!local || s.local) && (!remote || !s.local)
    })
    .await
}

/// `GET /api/v1/favourites`.
pub(crate) async fn favourites(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:favourites")?;
    statuses_of(ctx, &List::FavouritesOf(me), Some(me), None, |_| true).await
}

/// `GET /api/v1/timelines/list/:id`: the list's timeline, paged like home (not found for
/// someone else's list).
pub(crate) async fn list(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("read:lists")?;
    let id = super::params::path_id(id)?;
    ctx.app.list(me, id).await?;
    statuses_of(
        ctx,
        &List::ListTimeline(id),
        Some(me),
        Some(FilterContext::Home),
        |_| true,
    )
    .await
}

/// `GET /api/v1/bookmarks`: newest bookmark first, paged by bookmark id (`Link`); a status
/// the viewer can no longer see is left out.
pub(crate) async fn bookmarks(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:bookmarks")?;
    statuses_of(ctx, &List::BookmarksOf(me), Some(me), None, |_| true).await
}
