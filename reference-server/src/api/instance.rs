//! `/api/v1/instance`, `/api/v2/instance`, preferences.

use serde_json::{json, Value};

use super::responses::{ok, ApiResult};
use super::{entities, oauth, Ctx};
use crate::app::App;
use crate::app::List;
use crate::config::Registrations;
use crate::error::Error;

/// The version string clients parse: Mastodon's API level, then ours.
pub(crate) fn version() -> String {
    format!("4.3.0 (compatible; Woolly {})", env!("CARGO_PKG_VERSION"))
}

fn streaming_url(app: &App) -> String {
    let b = app.base();
    if let Some(rest) = b.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = b.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        b.to_owned()
    }
}

async fn contact_account(app: &App) -> Result<Value, Error> {
    match app.local_accounts().await?.into_iter().find(|a| !a.deleted) {
        Some(a) => entities::account(app, &a).await,
        None => Ok(Value::Null),
    }
}

fn limits(app: &App) -> (Value, Value, Value, Value) {
    let statuses = json!({
        "max_characters": app.config().max_characters,
        "max_media_attachments": crate::app::media::MAX_ATTACHMENTS,
        "characters_reserved_per_url": 23,
    });
    let l = app.media_limits();
    let media = json!({
        "supported_mime_types": crate::media::supported_mime_types(),
        "description_limit": crate::app::media::MAX_DESCRIPTION_CHARS,
        "image_size_limit": l.image_bytes,
        "image_matrix_limit": l.max_pixels,
        "video_size_limit": l.video_bytes,
        "video_frame_rate_limit": l.video_frame_rate,
        "video_matrix_limit": l.video_pixels,
    });
    let polls = json!({
        "max_options": crate::app::polls::MAX_OPTIONS,
        "max_characters_per_option": crate::app::polls::MAX_OPTION_CHARS,
        "min_expiration": crate::app::polls::MIN_EXPIRATION_SECS,
        "max_expiration": crate::app::polls::MAX_EXPIRATION_SECS,
    });
    let accounts = json!({
        "max_featured_tags": 0,
        "max_pinned_statuses": crate::app::pins::MAX_PINNED_STATUSES,
    });
    (statuses, media, polls, accounts)
}

fn description(app: &App) -> String {
    format!(
        "{} is a Woolly server: a small ActivityPub instance speaking Mastodon's client API.",
        app.config().title
    )
}

/// `GET /api/v1/instance`.
pub(crate) async fn v1(ctx: &Ctx<'_>) -> ApiResult {
    let app = ctx.app;
    let (statuses, media, polls, accounts) = limits(app);
    let users = app.count(&List::LocalAccounts).await?;
    let local = app.count(&List::LocalTimeline).await?;
    ok(json!({
        "uri": app.config().domain(),
        "title": app.config().title,
        "short_description": description(app),
        "description": description(app),
        "email": app.config().contact_email,
        "version": version(),
        "urls": { "streaming_api": streaming_url(app) },
        "stats": { "user_count": users, "status_count": local, "domain_count": 0 },
        "thumbnail": null,
        "languages": ["en"],
        "registrations": app.config().registrations != Registrations::Closed,
        "approval_required": app.config().registrations == Registrations::Approved,
        // Whether users may invite (Mastodon's `invite_users` permission for everyone):
        // invites are made by admins (`woolly admin invite`), so no.
        "invites_enabled": false,
        "configuration": {
            "accounts": accounts,
            "statuses": statuses,
            "media_attachments": media,
            "polls": polls,
        },
        "contact_account": contact_account(app).await?,
        "rules": rules_json(app).await?,
    }))
}

/// `GET /api/v2/instance`.
pub(crate) async fn v2(ctx: &Ctx<'_>) -> ApiResult {
    let app = ctx.app;
    let (statuses, media, polls, accounts) = limits(app);
    let users = app.count(&List::LocalAccounts).await?;
    let vapid = oauth::vapid_key(app).await?;
    ok(json!({
        "domain": app.config().domain(),
        "title": app.config().title,
        "version": version(),
        "source_url": env!("CARGO_PKG_REPOSITORY"),
        "description": description(app),
        "usage": { "users": { "active_month": users } },
        "thumbnail": { "url": format!("{}/favicon.ico", app.base()) },
        "icon": [],
        "languages": ["en"],
        "configuration": {
            "urls": {
                "streaming": streaming_url(app),
                "status": null,
                "about": format!("{}/about", app.base()),
                "privacy_policy": null,
                "terms_of_service": null,
            },
            "vapid": { "public_key": vapid },
            "accounts": accounts,
            "statuses": statuses,
            "media_attachments": media,
            "polls": polls,
            "translation": { "enabled": false },
        },
        "registrations": registrations_v2(app),
        "api_versions": { "mastodon": 2 },
        "contact": {
            "email": app.config().contact_email,
            "account": contact_account(app).await?,
        },
        "rules": rules_json(app).await?,
    }))
}

/// The `registrations` of `/api/v2/instance`, as Mastodon 4.3 gives it: whether sign-ups are
/// possible, whether they wait for approval and need a reason then, the message (HTML).
fn registrations_v2(app: &App) -> serde_json::Value {
    let mode = app.config().registrations;
    json!({
        "enabled": mode != Registrations::Closed,
        "approval_required": mode == Registrations::Approved,
        "reason_required": mode == Registrations::Approved,
        "message": app
            .config()
            .registrations_message
            .as_deref()
            .map(|m| format!("<p>{}</p>", crate::app::render::escape(m))),
        "url": null,
        "min_age": null,
    })
}

/// Mastodon's `Rule` entities of the instance's rules.
async fn rules_json(app: &App) -> Result<Value, Error> {
    entities::to_json(
        &app.rules()
            .await?
            .iter()
            .map(entities::Rule::new)
            .collect::<Vec<_>>(),
    )
}

/// `GET /api/v1/instance/rules`: the instance's rules, in order (public).
pub(crate) async fn rules(ctx: &Ctx<'_>) -> ApiResult {
    ok(rules_json(ctx.app).await?)
}

/// `GET /api/v1/instance/extended_description`.
pub(crate) fn extended_description(ctx: &Ctx<'_>) -> ApiResult {
    ok(json!({
        "updated_at": crate::app::activitypub::rfc3339(0),
        "content": format!("<p>{}</p>", crate::app::render::escape(&description(ctx.app))),
    }))
}

/// `GET /api/v1/preferences`.
pub(crate) fn preferences(ctx: &Ctx<'_>) -> ApiResult {
    ctx.user("read:accounts")?;
    ok(json!({
        "posting:default:visibility": "public",
        "posting:default:sensitive": false,
        "posting:default:language": null,
        "reading:expand:media": "default",
        "reading:expand:spoilers": false,
    }))
}

/// `GET /api/v1/custom_emojis`: the instance's emoji listed in the picker, by shortcode
/// (public, as on Mastodon).
pub(crate) async fn custom_emojis(ctx: &Ctx<'_>) -> ApiResult {
    let list: Vec<entities::CustomEmoji> = ctx
        .app
        .local_emojis()
        .await?
        .iter()
        .filter(|e| e.visible_in_picker)
        .map(|e| entities::CustomEmoji::new(ctx.app, e, true))
        .collect();
    ok(serde_json::to_value(list).map_err(Error::from)?)
}
