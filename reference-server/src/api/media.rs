//! `/api/v1/media`, `/api/v2/media` and the profile images: uploads, their description and
//! focal point, their deletion; avatars and headers of `update_credentials` and
//! `/api/v1/profile/{avatar,header}`.

use http::StatusCode;
use serde_json::json;

use super::multipart::FilePart;
use super::params::path_id;
use super::responses::{json_response, ok, ApiError, ApiResult};
use super::{entities, Ctx};
use crate::app::media::{check_description, parse_focus, Focus};
use crate::app::{MediaAttachment, MediaState, ProfileSlot, Upload};

/// Copies an uploaded file part into an upload in the work directory, within the largest
/// upload taken (`413` past it).
fn upload_of(ctx: &Ctx<'_>, part: &FilePart) -> Result<Upload, ApiError> {
    let mut upload = ctx.app.new_upload()?;
    upload.write_chunk(&part.bytes, ctx.app.max_upload_bytes())?;
    Ok(upload)
}

/// The upload of file part `name`: streamed to the work directory already, or copied there
/// from a collected body. `None` if the request has no such part.
fn take_upload(ctx: &Ctx<'_>, name: &str) -> Result<Option<Upload>, ApiError> {
    let streamed = {
        let mut uploads = ctx
            .uploads
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        uploads
            .iter()
            .position(|(n, _)| n == name)
            .map(|i| uploads.remove(i).1)
    };
    if let Some(u) = streamed {
        return Ok(Some(u));
    }
    match ctx.p.files().iter().find(|f| f.name == name) {
        Some(part) => Ok(Some(upload_of(ctx, part)?)),
        None => Ok(None),
    }
}

/// `description` and `focus` of a request (`None` when not sent), checked.
fn description_and_focus(ctx: &Ctx<'_>) -> Result<(Option<String>, Option<Focus>), ApiError> {
    let description = ctx.p.str("description");
    if let Some(d) = &description {
        check_description(d)?;
    }
    let focus = match ctx.p.nonempty("focus") {
        Some(f) => Some(parse_focus(&f)?),
        None => None,
    };
    Ok((description, focus))
}

/// An attachment with Mastodon's status: `200` when processed, `206` (v1) or `202` (v2
/// upload) while processing; a failed one is a `422` with its reason.
fn answer(ctx: &Ctx<'_>, m: &MediaAttachment, processing: StatusCode) -> ApiResult {
    let status = match &m.state {
        MediaState::Ready => StatusCode::OK,
        MediaState::Processing => processing,
        MediaState::Failed { message } => {
            return Err(ApiError::unprocessable(format!(
                "Validation failed: File could not be processed: {message}"
            )))
        }
    };
    Ok(json_response(
        status,
        &entities::media_attachment(ctx.app, m)?,
    ))
}

/// `POST /api/v1/media` (processed before the answer) and `POST /api/v2/media` (`202` while
/// it is processed in the background).
pub(crate) async fn upload(ctx: &Ctx<'_>, v2: bool) -> ApiResult {
    let me = ctx.user("write:media")?;
    let (description, focus) = description_and_focus(ctx)?;
    let upload = take_upload(ctx, "file")?
        .ok_or_else(|| ApiError::unprocessable("Validation failed: File can't be blank"))?;
    let m = ctx
        .app
        .create_media(me, upload, description, focus, !v2)
        .await?;
    answer(ctx, &m, StatusCode::ACCEPTED)
}

/// `GET /api/v1/media/:id`: an unattached upload of the caller.
pub(crate) async fn get(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("write:media")?;
    let m = ctx.app.own_unattached_media(me, path_id(id)?).await?;
    answer(ctx, &m, StatusCode::PARTIAL_CONTENT)
}

/// `PUT /api/v1/media/:id`: sets `description` and `focus` of an unattached upload.
pub(crate) async fn update(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("write:media")?;
    let id = path_id(id)?;
    let (description, focus) = description_and_focus(ctx)?;
    let m = ctx.app.update_media(me, id, description, focus).await?;
    answer(ctx, &m, StatusCode::PARTIAL_CONTENT)
}

/// `DELETE /api/v1/media/:id`: an unattached upload (`422` if a status uses it).
pub(crate) async fn delete(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("write:media")?;
    ctx.app.delete_media(me, path_id(id)?).await?;
    ok(json!({}))
}

/// The `avatar` and `header` file parts of `update_credentials`, processed and stored.
pub(crate) async fn profile_images(ctx: &Ctx<'_>, me: u64) -> Result<(), ApiError> {
    for (name, slot) in [
        ("avatar", ProfileSlot::Avatar),
        ("header", ProfileSlot::Header),
    ] {
        if let Some(upload) = take_upload(ctx, name)? {
            ctx.app.set_profile_image(me, slot, upload).await?;
        }
    }
    Ok(())
}

/// `DELETE /api/v1/profile/avatar` and `/header`: the default image shows again.
pub(crate) async fn delete_profile_image(ctx: &Ctx<'_>, slot: ProfileSlot) -> ApiResult {
    let me = ctx.user("write:accounts")?;
    ctx.app.remove_profile_image(me, slot).await?;
    // Followers hear of it as of any profile change (an `Update` of the actor).
    let a = ctx.app.update_profile(me, None, None, None, None).await?;
    ok(entities::credential_account(ctx.app, &a).await?)
}
