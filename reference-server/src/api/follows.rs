//! Lists of accounts a user manages: follow requests (and deciding them), blocks, mutes and
//! blocked domains.

use super::accounts::{accounts_of, find};
use super::responses::{ok, ApiError, ApiResult};
use super::{entities, Ctx};
use crate::app::List;

/// `GET /api/v1/follow_requests`.
pub(crate) async fn follow_requests(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:follows")?;
    account_list(ctx, &List::Requests(me)).await
}

async fn account_list(ctx: &Ctx<'_>, collection: &List) -> ApiResult {
    let req = ctx.p.page(40, 80)?;
    let page = ctx.app.page(collection, &req).await?;
    let list = accounts_of(ctx.app, page.members()).await?;
    let body = entities::accounts(ctx.app, &list).await?;
    ctx.paged(body, &page)
}

/// `POST /api/v1/follow_requests/:id/authorize` and `/reject`.
pub(crate) async fn follow_request_decide(ctx: &Ctx<'_>, id: &str, accept: bool) -> ApiResult {
    let me = ctx.user("write:follows")?;
    let who = find(ctx.app, id).await?;
    let rel = if accept {
        ctx.app.authorize_follow(me, who.id).await?
    } else {
        ctx.app.reject_follow(me, who.id).await?
    };
    ok(entities::relationship(&rel))
}

/// `GET /api/v1/blocks` and `/mutes`.
pub(crate) async fn blocks_or_mutes(ctx: &Ctx<'_>, blocks: bool) -> ApiResult {
    if blocks {
        let me = ctx.user("read:blocks")?;
        account_list(ctx, &List::Blocks(me)).await
    } else {
        let me = ctx.user("read:mutes")?;
        mutes(ctx, me).await
    }
}

/// `GET /api/v1/mutes`: the muted accounts, each with Mastodon's `mute_expires_at`; mutes
/// that have expired are left out.
async fn mutes(ctx: &Ctx<'_>, me: u64) -> ApiResult {
    let req = ctx.p.page(40, 80)?;
    let page = ctx.app.page(&List::Mutes(me), &req).await?;
    let list = accounts_of(ctx.app, page.members()).await?;
    let ids: Vec<u64> = list.iter().map(|a| a.id).collect();
    let records = ctx.app.mutes_of(me, &ids).await?;
    let (list, records): (Vec<_>, Vec<_>) = list
        .into_iter()
        .zip(records)
        .filter_map(|(a, m)| Some((a, m?)))
        .unzip();
    // The accounts as JSON, to add the mute's expiry to each.
    let mut body = entities::to_json(&entities::accounts(ctx.app, &list).await?)?;
    if let Some(items) = body.as_array_mut() {
        for (item, m) in items.iter_mut().zip(&records) {
            if let Some(o) = item.as_object_mut() {
                o.insert(
                    "mute_expires_at".into(),
                    m.expires_at
                        .map(crate::app::activitypub::rfc3339)
                        .map_or(serde_json::Value::Null, serde_json::Value::String),
                );
            }
        }
    }
    ctx.paged(body, &page)
}

/// `GET /api/v1/domain_blocks`: the blocked domains (strings), newest first, paged with
/// `Link` (100 by default, at most 200, as Mastodon).
pub(crate) async fn domain_blocks(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:blocks")?;
    let req = ctx.p.page(100, 200)?;
    let (domains, page) = ctx.app.domain_blocks_page(me, &req).await?;
    ctx.paged(serde_json::json!(domains), &page)
}

/// `POST` / `DELETE /api/v1/domain_blocks` (`domain`): `{}`.
pub(crate) async fn block_domain(ctx: &Ctx<'_>, block: bool) -> ApiResult {
    let me = ctx.user("write:blocks")?;
    let domain = ctx.p.str("domain").unwrap_or_default();
    if block {
        ctx.app.block_domain_for(me, &domain).await?;
    } else if domain.trim().is_empty() {
        return Err(ApiError::unprocessable(
            "Validation failed: Domain can't be blank",
        ));
    } else {
        ctx.app.unblock_domain_for(me, &domain).await?;
    }
    ok(serde_json::json!({}))
}
