//! Account exports at Mastodon's settings paths (issue #19): the CSV files
//! (`GET /settings/exports/{follows,followers,lists,blocks,mutes,domain_blocks,bookmarks}.csv`)
//! and the archive (`POST /settings/export` requests one, `GET /settings/export` tells its
//! state, `GET /settings/exports/archive/:id` downloads it). Mastodon serves these to its web
//! session only; until the web interface (issue #20) adds its session cookie beside it, they
//! take a bearer token with the `read` scope. The work is the app's
//! ([`crate::app::export`]).

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use serde_json::{json, Value};

use super::params::path_id;
use super::responses::{json_response, ApiError, ApiResult};
use super::Ctx;
use crate::app::activitypub::rfc3339;
use crate::app::export::{Archive, ArchiveState, CsvExport};
use crate::app::App;

/// `GET /settings/exports/{file}.csv`: the CSV file, `text/csv` as an attachment.
pub(super) async fn csv(ctx: &Ctx<'_>, file: &str) -> ApiResult {
    let me = ctx.user("read")?;
    let what = CsvExport::parse(file)
        .filter(|_| file.ends_with(".csv"))
        .ok_or_else(ApiError::not_found)?;
    let body = ctx.app.export_csv(me, what, Vec::new()).await?;
    Ok(attachment(
        body.into(),
        "text/csv; charset=utf-8",
        what.file_name(),
    ))
}

/// `GET /settings/export`: the state of the account's latest archive.
pub(super) async fn archive_state(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read")?;
    let latest = ctx.app.latest_archive(me).await?;
    Ok(json_response(
        StatusCode::OK,
        &state_json(ctx.app, latest.as_ref()),
    ))
}

/// `POST /settings/export`: requests an archive; `202` with its state, `422` within a week
/// of the last request.
pub(super) async fn request_archive(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read")?;
    let archive = ctx.app.request_archive(me).await?;
    Ok(json_response(
        StatusCode::ACCEPTED,
        &state_json(ctx.app, Some(&archive)),
    ))
}

/// `GET /settings/exports/archive/:id`: the archive's file (`404` for someone else's, one not
/// ready, or one removed).
pub(super) async fn archive_file(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("read")?;
    let id = path_id(id)?;
    let (archive, bytes) = ctx.app.archive_file(me, id).await?;
    Ok(attachment(bytes, "application/zip", &archive.file_name()))
}

/// The JSON state of an archive (`state: "none"` when none was requested):
/// `{id, state, requested_at, progress: {done, total}, ready, url, size, expires_at,
/// next_request_at, error}`.
pub fn state_json(app: &App, a: Option<&Archive>) -> Value {
    let Some(a) = a else {
        return json!({
            "id": null, "state": "none", "requested_at": null,
            "progress": {"done": 0, "total": 0}, "ready": false, "url": null, "size": null,
            "expires_at": null, "next_request_at": null, "error": null,
        });
    };
    let ready = a.state == ArchiveState::Ready;
    json!({
        "id": a.id.to_string(),
        "state": a.state.as_str(),
        "requested_at": rfc3339(a.requested_at),
        "progress": {"done": a.done, "total": a.total},
        "ready": ready,
        "url": ready.then(|| format!("{}/settings/exports/archive/{}", app.base(), a.id)),
        "size": a.size,
        "expires_at": a.expires_at.map(rfc3339),
        "next_request_at": rfc3339(a.next_request_at()),
        "error": a.error,
    })
}

fn attachment(body: Bytes, content_type: &'static str, name: &str) -> Response<Bytes> {
    let mut r = Response::new(body);
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
