//! `/api/v1/conversations/…`: direct conversations.

use http::Method;
use serde_json::json;

use super::params::path_id;
use super::responses::{ok, ApiError, ApiResult};
use super::{entities, Ctx};
use crate::http::routes::Api;

/// Answers `/api/v1/conversations`, `/api/v1/conversations/:id` and
/// `/api/v1/conversations/:id/read`.
pub(crate) async fn answer(ctx: &Ctx<'_>, m: &Method, route: Api, id: &str) -> ApiResult {
    match (m, route) {
        (&Method::GET, Api::Conversations) => index(ctx).await,
        (&Method::DELETE, Api::Conversation) => {
            let me = ctx.user("write:conversations")?;
            ctx.app.delete_conversation(me, path_id(id)?).await?;
            ok(json!({}))
        }
        (&Method::POST, Api::ConversationRead) => {
            let me = ctx.user("write:conversations")?;
            let c = ctx.app.read_conversation(me, path_id(id)?).await?;
            ok(entities::conversation(ctx.app, &c).await?)
        }
        _ => Err(ApiError::new(http::StatusCode::NOT_FOUND, "Not found")),
    }
}

/// `GET /api/v1/conversations`: newest first, 20 by default and at most 40, paged by last
/// status with `Link` headers.
async fn index(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:statuses")?;
    let req = ctx.p.page(20, 40)?;
    let (list, page) = ctx.app.conversations_page(me, &req).await?;
    let body = entities::conversations(ctx.app, me, &list).await?;
    ctx.paged(body, &page)
}
