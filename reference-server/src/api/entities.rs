//! Mastodon's JSON entities: Account, Status, Relationship, Notification, Tag, StatusEdit.

use fedi_storage::PageRequest;
use serde_json::{json, Value};

use super::oauth::NS_STATUS_APP;
use crate::app::docs::rfc3339;
use crate::app::model::{id_time, Edit};
use crate::app::render::strip_html;
use crate::app::List;
use crate::app::Relationship;
use crate::app::{Account, App, Notification, Status};
use crate::error::Error;

fn avatar(app: &App, a: &Account) -> String {
    a.avatar
        .clone()
        .unwrap_or_else(|| format!("{}/avatars/original/missing.png", app.base()))
}

fn header(app: &App, a: &Account) -> String {
    a.header
        .clone()
        .unwrap_or_else(|| format!("{}/headers/original/missing.png", app.base()))
}

fn date_of(ms: u64) -> String {
    rfc3339(ms).chars().take(10).collect()
}

/// Mastodon's `Account`.
pub(crate) async fn account(app: &App, a: &Account) -> Result<Value, Error> {
    let (statuses, followers, following) = app.account_counts(a.id).await?;
    let last = app
        .page(&List::StatusesOf(a.id), &PageRequest::newest(1))
        .await?
        .items
        .first()
        .map(|i| date_of(id_time(i.key)));
    let avatar = avatar(app, a);
    let header = header(app, a);
    Ok(json!({
        "id": a.id.to_string(),
        "username": a.username,
        "acct": a.acct(),
        "display_name": a.display_name,
        "locked": a.locked,
        "bot": a.bot,
        "discoverable": a.discoverable,
        "indexable": a.discoverable,
        "group": false,
        "created_at": rfc3339(a.created_at),
        "note": a.note,
        "url": a.url,
        "uri": a.actor,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": followers,
        "following_count": following,
        "statuses_count": statuses,
        "last_status_at": last,
        "hide_collections": false,
        "noindex": false,
        "emojis": [],
        "roles": [],
        "fields": a.fields.iter().map(|(n, v)| json!({"name": n, "value": v, "verified_at": null})).collect::<Vec<_>>(),
    }))
}

/// `Account` with `source` (for the account itself).
pub(crate) async fn credential_account(app: &App, a: &Account) -> Result<Value, Error> {
    let mut v = account(app, a).await?;
    let requests = app.count(&List::Requests(a.id)).await?;
    v["source"] = json!({
        "privacy": "public",
        "sensitive": false,
        "language": null,
        "note": a.note_source,
        "fields": a.fields.iter().map(|(n, v)| json!({"name": strip_html(n), "value": strip_html(v), "verified_at": null})).collect::<Vec<_>>(),
        "follow_requests_count": requests,
        "hide_collections": false,
        "discoverable": a.discoverable,
        "indexable": a.discoverable,
    });
    v["role"] = json!({
        "id": "-99",
        "name": "",
        "permissions": "0",
        "color": "",
        "highlighted": false,
    });
    Ok(v)
}

/// A list of accounts.
pub(crate) async fn accounts(app: &App, list: &[Account]) -> Result<Value, Error> {
    let mut out = Vec::with_capacity(list.len());
    for a in list {
        out.push(account(app, a).await?);
    }
    Ok(Value::Array(out))
}

/// Mastodon's `Relationship`.
pub(crate) fn relationship(r: &Relationship) -> Value {
    json!({
        "id": r.id.to_string(),
        "following": r.following,
        "showing_reblogs": r.following || r.requested,
        "notifying": false,
        "languages": null,
        "followed_by": r.followed_by,
        "blocking": r.blocking,
        "blocked_by": r.blocked_by,
        "muting": r.muting,
        "muting_notifications": r.muting,
        "requested": r.requested,
        "requested_by": r.requested_by,
        "domain_blocking": r.domain_blocking,
        "endorsed": false,
        "note": "",
    })
}

async fn plain_status(app: &App, s: &Status, viewer: Option<u64>) -> Result<Value, Error> {
    let author = app.account(s.account_id).await?;
    let (replies, reblogs, favourites) = app.status_counts(s.id).await?;
    let mut mentions = Vec::new();
    for m in &s.mentions {
        if let Ok(a) = app.account(*m).await {
            mentions.push(json!({
                "id": a.id.to_string(),
                "username": a.username,
                "url": a.url,
                "acct": a.acct(),
            }));
        }
    }
    let tags: Vec<Value> = s
        .tags
        .iter()
        .map(|t| json!({"name": t.to_lowercase(), "url": app.tag_url(t)}))
        .collect();
    let application = app.get::<Value>(NS_STATUS_APP, &s.id.to_string()).await?;
    let mut v = json!({
        "id": s.id.to_string(),
        "created_at": rfc3339(s.created_at),
        "in_reply_to_id": s.in_reply_to_id.map(|i| i.to_string()),
        "in_reply_to_account_id": s.in_reply_to_account_id.map(|i| i.to_string()),
        "sensitive": s.sensitive,
        "spoiler_text": s.spoiler_text,
        "visibility": s.visibility.as_str(),
        "language": s.language,
        "uri": s.uri,
        "url": s.url,
        "replies_count": replies,
        "reblogs_count": reblogs,
        "favourites_count": favourites,
        "edited_at": s.edited_at.map(rfc3339),
        "content": s.content,
        "reblog": null,
        "application": application,
        "account": account(app, &author).await?,
        "media_attachments": [],
        "mentions": mentions,
        "tags": tags,
        "emojis": [],
        "card": null,
        "poll": null,
        "filtered": [],
    });
    if let Some(me) = viewer {
        let (fav, reb) = app.viewer_flags(me, s.id).await?;
        v["favourited"] = json!(fav);
        v["reblogged"] = json!(reb);
        v["muted"] = json!(false);
        v["bookmarked"] = json!(false);
        if s.account_id == me {
            v["pinned"] = json!(app.is_pinned(s).await?);
        }
    }
    Ok(v)
}

/// Mastodon's `Status` as `viewer` sees it (a reblog wraps the reblogged status).
pub(crate) async fn status(app: &App, s: &Status, viewer: Option<u64>) -> Result<Value, Error> {
    match s.reblog_of_id {
        Some(of) => {
            let original = app.status(of).await?;
            let inner = plain_status(app, &original, viewer).await?;
            let mut v = plain_status(app, s, viewer).await?;
            v["content"] = json!("");
            v["spoiler_text"] = json!("");
            v["mentions"] = json!([]);
            v["tags"] = json!([]);
            v["url"] = inner["url"].clone();
            if viewer.is_some() {
                v["favourited"] = inner["favourited"].clone();
                v["reblogged"] = inner["reblogged"].clone();
            }
            v["reblog"] = inner;
            Ok(v)
        }
        None => plain_status(app, s, viewer).await,
    }
}

/// A list of statuses (skipping those that cannot be shown any more).
pub(crate) async fn statuses(
    app: &App,
    list: &[Status],
    viewer: Option<u64>,
) -> Result<Value, Error> {
    let mut out = Vec::with_capacity(list.len());
    for s in list {
        match status(app, s, viewer).await {
            Ok(v) => out.push(v),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Value::Array(out))
}

/// A `StatusEdit`.
pub(crate) fn status_edit(e: &Edit, account: &Value) -> Value {
    json!({
        "content": e.content,
        "spoiler_text": e.spoiler_text,
        "sensitive": e.sensitive,
        "created_at": rfc3339(e.created_at),
        "account": account,
        "poll": null,
        "media_attachments": [],
        "emojis": [],
    })
}

/// Mastodon's `Notification`; `None` if what it is about is gone.
pub(crate) async fn notification(app: &App, n: &Notification) -> Result<Option<Value>, Error> {
    let from = match app.account(n.from_account_id).await {
        Ok(a) => a,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut v = json!({
        "id": n.id.to_string(),
        "type": n.kind.as_str(),
        "created_at": rfc3339(n.created_at),
        "group_key": format!("ungrouped-{}", n.id),
        "account": account(app, &from).await?,
    });
    if let Some(sid) = n.status_id {
        match app.status(sid).await {
            Ok(s) => v["status"] = status(app, &s, Some(n.account_id)).await?,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        }
    }
    Ok(Some(v))
}

/// Mastodon's `Tag` (no usage history is kept).
pub(crate) fn tag(app: &App, name: &str, following: Option<bool>) -> Value {
    let mut v = json!({
        "name": name.to_lowercase(),
        "url": app.tag_url(name),
        "history": [],
    });
    if let Some(f) = following {
        v["following"] = json!(f);
    }
    v
}
