//! `/settings/imports…`: Mastodon's import of CSV files (`Settings::ImportsController`), for
//! now with a bearer token (`write` to import, `read` to look); the web session of issue #20
//! will be accepted beside it.
//!
//! - `POST /settings/imports` (multipart: `type`, `mode` `merge`|`overwrite`, `data` the
//!   file): `202` with the import; a bad file `413` (too large), `415` (not text) or `422`
//!   (empty, wrong header, too many rows, not CSV); an unknown `type` or `mode` `422`.
//! - `GET /settings/imports`: the account's imports, newest first.
//! - `GET /settings/imports/:id`: the import (state, counts) and its first
//!   [`FAILURES_SHOWN`] failed or skipped rows with their reasons.
//! - `GET /settings/imports/:id/failures.csv`: the failed rows in the file's own format, once
//!   finished (`404` before, as on Mastodon).

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use serde_json::json;

use super::params::path_id;
use super::responses::{json_response, ok, ApiError, ApiResult};
use super::Ctx;
use crate::app::import::{ImportType, Outcome};

/// How many failed or skipped rows `GET /settings/imports/:id` shows.
pub(crate) const FAILURES_SHOWN: usize = 100;

/// `POST /settings/imports`.
pub(crate) async fn create(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("write")?;
    let kind = ctx.p.nonempty("type").unwrap_or_default();
    let kind = ImportType::parse(&kind).ok_or_else(|| {
        ApiError::unprocessable(
            "Validation failed: Type must be one of following, blocking, muting, \
             domain_blocking, bookmarks, lists",
        )
    })?;
    let overwrite = match ctx.p.nonempty("mode").as_deref() {
        None | Some("merge") => false,
        Some("overwrite") => true,
        Some(_) => {
            return Err(ApiError::unprocessable(
                "Validation failed: Mode must be merge or overwrite",
            ))
        }
    };
    let file = ctx
        .p
        .files()
        .iter()
        .find(|f| f.name == "data")
        .ok_or_else(|| ApiError::unprocessable("Validation failed: Data can't be blank"))?;
    let rec = ctx
        .app
        .create_import(
            me,
            kind,
            overwrite,
            &file.bytes,
            Some(file.filename.clone()),
        )
        .await?;
    Ok(json_response(StatusCode::ACCEPTED, &rec.to_json()))
}

/// `GET /settings/imports`: the account's imports, newest first (Mastodon's settings page
/// lists them).
pub(crate) async fn list(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read")?;
    let all = ctx.app.imports_of(me).await?;
    ok(all.iter().map(|r| r.to_json()).collect::<Vec<_>>())
}

/// `GET /settings/imports/:id`.
pub(crate) async fn show(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("read")?;
    let id = path_id(id)?;
    let rec = ctx.app.import(me, id).await?;
    let mut failures = Vec::new();
    let mut after = None;
    while failures.len() < FAILURES_SHOWN {
        let rows = ctx.app.import_rows(me, id, after, 500).await?;
        let Some((last, _)) = rows.last() else { break };
        after = Some(*last);
        for (_, row) in rows {
            let (result, reason) = match row.outcome {
                Some(Outcome::Failed { reason }) => ("failed", reason),
                Some(Outcome::Skipped { reason }) => ("skipped", reason),
                _ => continue,
            };
            let value = match &row.item {
                Ok(item) => serde_json::to_value(item).unwrap_or_default(),
                Err(s) => json!(s.raw),
            };
            failures.push(json!({
                "line": row.line,
                "result": result,
                "reason": reason,
                "row": value,
            }));
            if failures.len() == FAILURES_SHOWN {
                break;
            }
        }
    }
    let mut body = rec.to_json();
    body["failures"] = json!(failures);
    ok(body)
}

/// `GET /settings/imports/:id/failures.csv`.
pub(crate) async fn failures_csv(ctx: &Ctx<'_>, id: &str) -> ApiResult {
    let me = ctx.user("read")?;
    let id = path_id(id)?;
    let csv = ctx.app.import_failures_csv(me, id).await?;
    let mut r = Response::new(Bytes::from(csv));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"failures.csv\""),
    );
    Ok(r)
}
