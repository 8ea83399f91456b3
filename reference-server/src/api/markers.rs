//! `/api/v1/markers`: read markers of the home timeline and the notifications.

use serde_json::{Map, Value};

use super::responses::{ok, ApiError, ApiResult};
use super::Ctx;
use crate::app::activitypub::rfc3339;
use crate::app::markers::MARKER_TIMELINES;
use crate::app::Marker;

/// Mastodon's `Marker`.
fn marker_json(m: &Marker) -> Value {
    serde_json::json!({
        "last_read_id": m.last_read_id.to_string(),
        "version": m.version,
        "updated_at": rfc3339(m.updated_at),
    })
}

/// `GET /api/v1/markers?timeline[]=home&timeline[]=notifications`: the markers asked for
/// that exist (`{}` when none is asked, as on Mastodon).
pub(crate) async fn get(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("read:statuses")?;
    let asked = ctx.p.list("timeline");
    let markers = ctx.app.markers(me, &asked).await?;
    let out: Map<String, Value> = markers
        .iter()
        .map(|(t, m)| (t.clone(), marker_json(m)))
        .collect();
    ok(Value::Object(out))
}

/// `POST /api/v1/markers` with `home[last_read_id]` and/or `notifications[last_read_id]`:
/// the markers set.
pub(crate) async fn set(ctx: &Ctx<'_>) -> ApiResult {
    let me = ctx.user("write:statuses")?;
    let mut wanted = Vec::new();
    for t in MARKER_TIMELINES {
        let raw = match ctx.p.get(t) {
            Some(Value::Object(o)) => o.get("last_read_id").cloned(),
            _ => ctx.p.get(&format!("{t}[last_read_id]")).cloned(),
        };
        let Some(raw) = raw else { continue };
        let id = match &raw {
            Value::String(s) => s.trim().parse::<u64>().ok(),
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
        .ok_or_else(|| {
            ApiError::unprocessable(format!(
                "Validation failed: Last read id of {t} is not an id"
            ))
        })?;
        wanted.push((t, id));
    }
    let mut out = Map::new();
    for (t, id) in wanted {
        let m = ctx.app.set_marker(me, t, id).await?;
        out.insert(t.to_owned(), marker_json(&m));
    }
    ok(Value::Object(out))
}
